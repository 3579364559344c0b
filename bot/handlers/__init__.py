"""Every handler is registered here, in explicit groups: the order they see an update matters."""

from __future__ import annotations

from telegram.ext import Application

from bot import pipeline
from bot.handlers import basics
from bot.handlers.errors import report_error

# Commands answer first and stop there; group messages that are not commands reach the
# message pipeline only after commands, so /policy at 23:00 is answered, not held.
COMMANDS = 0
MESSAGES = 1


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    basics.setup(application, COMMANDS)
    pipeline.setup(application, MESSAGES)
    application.add_error_handler(report_error)
