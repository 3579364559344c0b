"""The real Application polling the project's test Bot API server over HTTP, on a manual clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import pytz
from sqlalchemy import func, select

from bot.app import ALLOWED_UPDATES, build_application, start_services, stop_services
from bot.edge.context import JianfuApplication
from bot.edge.updates import Poller
from bot.platform.clock import ManualClock
from bot.platform.services import Services
from bot.platform.settings import Settings, load_settings, settings_for_api
from bot.platform.storage.models import OutboxItem
from testserver.server import BotApiServer

SHANGHAI = pytz.timezone("Asia/Shanghai")
# Generous: a safety net so a broken bot fails the test instead of hanging it, never a measure.
SETTLE_TIMEOUT = 30.0


def shanghai(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware instant."""
    return SHANGHAI.localize(datetime(year, month, day, hour, minute))


class BotHarness:
    def __init__(
        self,
        server: BotApiServer,
        database_url: str,
        clock: ManualClock,
        base: Settings | None = None,
    ) -> None:
        """`base`: the configuration to run with (default: the built-in one)."""
        self.server = server
        self.world = server.world
        self.clock = clock
        self.settings: Settings = settings_for_api(
            base or load_settings(None, {}),
            token=server.token,
            base_url=server.base_url,
            base_file_url=server.base_file_url,
            database_url=database_url,
        )
        self.application: JianfuApplication = build_application(self.settings, clock)
        services = self.application.bot_data.services
        self.poller = Poller(
            self.application.bot,
            self.application.bot_data.stream,
            services.sessions,
            clock,
            ALLOWED_UPDATES,
            timeout=1,
        )
        self._stop = asyncio.Event()
        self._polling: asyncio.Task[None] | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data.services

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        await start_services(app)
        await app.start()
        self._polling = asyncio.create_task(self.poller.run(self._stop))

    async def stop(self) -> None:
        app = self.application
        if self._polling is not None:
            self._stop.set()
            await self._polling
            self._polling = None
        if app.running:
            await app.stop()
        await stop_services(app)
        await app.shutdown()

    async def settle(self) -> None:
        """Return once every update produced so far has been handled by the bot: the server
        holds none unconfirmed, and the poller waits for more with all it had stored."""
        async with asyncio.timeout(SETTLE_TIMEOUT):
            # The server's queue belongs to another component: poll it rather than hook into it.
            while self.world.queued_updates or not self.poller.idle.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.005)

    async def tick(self) -> None:
        """What the alarm clock does at a due time: run every feature's due work, now."""
        await self.services.run_ticks()

    async def outbox_idle(self) -> None:
        """Wait until nothing due by the clock is left unsent in the outbox."""
        async with asyncio.timeout(SETTLE_TIMEOUT):
            while await self._outbox_busy():  # noqa: ASYNC110 - the worker runs on its own
                await asyncio.sleep(0.005)

    async def _outbox_busy(self) -> bool:
        now = self.clock.now()
        busy = OutboxItem.status.in_(("pending", "claimed")) & (OutboxItem.not_before <= now)
        async with self.services.sessions() as session:
            return bool(await session.scalar(select(func.count()).where(busy)))

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait for something the bot does in the background (e.g. the outbox) to be true."""
        async with asyncio.timeout(SETTLE_TIMEOUT):
            while not condition():  # noqa: ASYNC110 - the condition is another component's state
                await asyncio.sleep(0.005)
