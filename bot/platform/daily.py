"""Housekeeping run once a day from the ticks: at the first tick after a start, then a day on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.platform.clock import Clock

EVERY = timedelta(days=1)


class Daily:
    def __init__(self, clock: Clock, job: Callable[[datetime], Awaitable[None]]) -> None:
        self._clock = clock
        self._job = job
        self._next: datetime | None = None

    async def tick(self) -> datetime | None:
        """Run the job when a day has passed since it last ran; when it runs next."""
        now = self._clock.now()
        if self._next is None or now >= self._next:
            await self._job(now)
            self._next = now + EVERY
        return self._next
