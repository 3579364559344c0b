"""The typed context every handler receives, carrying the services built by the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.platform.clock import Clock
from bot.platform.i18n import Catalogs
from bot.platform.outbox import OutboxWorker, SentHook, SentItem
from bot.platform.roster import RecentSenders
from bot.platform.settings import Settings


@dataclass
class SentHooks:
    """Who wants to know the result of an outbox item, by the first part of its key ("tally:…")."""

    by_prefix: dict[str, SentHook] = field(default_factory=dict)

    def register(self, prefix: str, hook: SentHook) -> None:
        self.by_prefix[prefix] = hook

    async def __call__(self, item: SentItem) -> None:
        hook = self.by_prefix.get(item.key.split(":", 1)[0])
        if hook is not None:
            await hook(item)


Tick = Callable[["Services"], Awaitable[datetime | None]]
"""Does what is due by the services' clock; returns when it next has something due, if known."""


@dataclass
class Services:
    settings: Settings
    clock: Clock
    catalogs: Catalogs
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: OutboxWorker
    sent_hooks: SentHooks
    recent_senders: RecentSenders = field(default_factory=RecentSenders)
    ticks: list[Tick] = field(default_factory=list)
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def run_ticks(self) -> datetime | None:
        """Run every feature's due work; the earliest time any of them wants to run again."""
        wanted = [when for tick in self.ticks if (when := await tick(self)) is not None]
        self.outbox.wake()
        return min(wanted, default=None)


class BotData:
    """PTB builds this with no arguments; the composition root fills `services` in."""

    services: Services


class JianfuContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        return self.bot_data.services


JianfuApplication = Application[
    ExtBot[int], JianfuContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[JianfuContext]
]
