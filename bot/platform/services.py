"""What the composition root builds once per bot: the platform's services, held together."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.platform.clock import Clock
from bot.platform.leadership import Gate
from bot.platform.live import LiveMessages
from bot.platform.outbox.worker import OutboxWorker
from bot.platform.settings import Settings

Tick = Callable[[], Awaitable[datetime | None]]
"""Does what is due by the clock; returns when it next has something due, if known."""


@dataclass
class Services:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: OutboxWorker
    live: LiveMessages
    ticks: tuple[Tick, ...] = ()
    gate: Gate = field(default_factory=Gate)  # whether this instance leads (sends, polls) now
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def run_ticks(self) -> datetime | None:
        """Run every feature's due work; the earliest time any of them wants to run again."""
        wanted = [when for tick in self.ticks if (when := await tick()) is not None]
        self.outbox.wake()
        return min(wanted, default=None)
