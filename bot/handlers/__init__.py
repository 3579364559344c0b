"""Every handler is registered here, in explicit groups: the order they see an update matters."""

from __future__ import annotations

from telegram.ext import Application

from bot import holding, notices, onboarding, pipeline, release
from bot.handlers import ack_command, admin, basics, buttons, rollcall_notes
from bot.handlers.errors import report_error

# Membership changes, and a group's first message when the bot did not know the group yet,
# are looked at before anything else, so that the bot's rights are known to what follows.
MEMBERSHIP = -1
# Commands answer first and stop there; group messages that are not commands reach the
# message pipeline only after commands, so /policy at 23:00 is answered, not held.
COMMANDS = 0
MESSAGES = 1


def register_handlers(application: Application) -> None:  # type: ignore[type-arg]
    onboarding.setup(application, MEMBERSHIP)
    basics.setup(application, COMMANDS)
    admin.setup(application, COMMANDS)
    holding.setup(application)
    notices.setup(application)
    release.setup(application)
    buttons.setup(application, COMMANDS)
    ack_command.setup(application, COMMANDS)
    pipeline.setup(application, MESSAGES)
    rollcall_notes.setup(application, MESSAGES)
    application.add_error_handler(report_error)
