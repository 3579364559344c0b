"""The typed context every handler receives, carrying the services built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.i18n import Catalogs
from bot.settings import Settings


@dataclass
class Services:
    settings: Settings
    clock: Clock
    catalogs: Catalogs
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


class BotData:
    """PTB builds this with no arguments; the composition root fills `services` in post_init."""

    services: Services


class JianfuContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        return self.bot_data.services


JianfuApplication = Application[
    ExtBot[None], JianfuContext, dict[Any, Any], dict[Any, Any], BotData, Any
]
