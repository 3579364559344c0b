"""PTB's typed context and application, carrying the services built by the composition root."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telegram import BotCommand, BotCommandScope
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.platform.services import Services

if TYPE_CHECKING:
    from bot.edge.alarm import Alarm
    from bot.edge.updates import UpdateStream


class BotData:
    """PTB builds this with no arguments; the composition root fills it in."""

    services: Services
    alarm: Alarm
    stream: UpdateStream
    menus: list[tuple[BotCommandScope, str | None, list[BotCommand]]]
    """The command menu per scope and language code."""


class JianfuContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        return self.bot_data.services


JianfuApplication = Application[
    ExtBot[int], JianfuContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[JianfuContext]
]
