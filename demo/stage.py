"""The stage: the project's test Bot API server and the real bot polling it, on one clock.

The bot is what `jianfu run` runs (`bot.edge.runner.serve` on the composition root's
Application), built with the demo's clock instead of the system clock and a database of the
demo's own. The server and the bot share this process and its event loop; the bot reaches the
server over HTTP, as it would reach Telegram.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from bot.app import build_application
from bot.edge.context import JianfuApplication
from bot.edge.runner import serve
from bot.platform.services import Services
from bot.platform.settings import load_settings, settings_for_api
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import LiveMessage, OutboxItem
from demo.clock import DemoClock
from testserver.server import BotApiServer
from testserver.world import World

BOT_NAME = "减负助手"
BOT_USERNAME = "jianfu_demo_bot"
# A safety net so that a bot which stops answering ends the demo with an error instead of
# hanging it; never a measure of anything.
PATIENCE_S = 60.0
POLL_S = 0.01


@dataclass
class Stage:
    server: BotApiServer
    application: JianfuApplication
    clock: DemoClock
    serving: asyncio.Task[None]

    @property
    def world(self) -> World:
        return self.server.world

    @property
    def services(self) -> Services:
        return self.application.bot_data.services

    async def settled(self) -> None:
        """Return once the bot has handled every update the world produced and sent all that
        is due by the clock (and learned the ids of the tallies and lists it posted)."""
        async with asyncio.timeout(PATIENCE_S):
            while True:
                await self._until(lambda: not self.world.queued_updates)
                self.services.outbox.wake()
                await self._until(self._nothing_due)
                if not self.world.queued_updates:
                    return

    async def tick(self) -> None:
        """What the bot's alarm clock does when it rings: the work due by the clock, now."""
        await self.services.run_ticks()
        await self.settled()

    async def _nothing_due(self) -> bool:
        due = OutboxItem.status.in_(("pending", "claimed")) & (
            OutboxItem.not_before <= self.clock.now()
        )
        async with self.services.sessions() as session:
            unsent = await session.scalar(select(func.count()).where(due))
            unposted = await session.scalar(
                select(func.count()).where(LiveMessage.message_id.is_(None))
            )
        return not unsent and not unposted

    def move_clock(self, instant: datetime) -> None:
        """Move the clock forward to `instant` and ring the bot's alarm clock at once: what
        fell due on the way (a release at work start) is done now."""
        now = self.clock.now()
        if instant < now:
            raise ValueError(f"the demo's clock moves forward only; it is {now.isoformat()} now")
        self.clock.set(instant)
        self.application.bot_data.alarm.ring_soon()

    async def started(self) -> None:
        """Return once the bot polls the server."""
        async with asyncio.timeout(PATIENCE_S):
            await self._until(lambda: any(r.method == "getUpdates" for r in self.server.requests))

    async def _until(self, condition: Callable[[], bool | Awaitable[bool]]) -> None:
        # The server's queue and the bot's outbox run on their own: poll them.
        while True:
            met = condition()
            if inspect.isawaitable(met):
                met = await met
            if met:
                return
            self._check_serving()
            await asyncio.sleep(POLL_S)

    def _check_serving(self) -> None:
        if self.serving.done():
            self.serving.result()  # raises what stopped the bot
            raise RuntimeError("the bot stopped")


@asynccontextmanager
async def staged(
    database_url: str, clock: DemoClock, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Stage]:
    """The server on `host:port` and the bot polling it, until the block ends."""
    _quiet_logs()
    server = BotApiServer(clock=clock.now, bot_name=BOT_NAME, bot_username=BOT_USERNAME)
    await server.start(host, port)
    try:
        await upgrade_to_head(database_url)
        settings = settings_for_api(
            load_settings(None, {}),
            token=server.token,
            base_url=server.base_url,
            base_file_url=server.base_file_url,
            database_url=database_url,
        )
        application = build_application(settings, clock)
        stop = asyncio.Event()
        stage = Stage(
            server, application, clock, asyncio.create_task(serve(application, settings, stop))
        )
        try:
            await stage.started()
            yield stage
        finally:
            stop.set()
            await stage.serving
    finally:
        await server.stop()


def _quiet_logs() -> None:
    """Only what goes wrong, on stderr: the transcript is the demo's output.

    The bot's alarm clock is PTB's JobQueue, on real time; once the demo's clock runs, the
    exact times the bot arms it with are demo times, long past in real time, which APScheduler
    reports as missed runs. That is harmless: the JobQueue's every-minute ring (and the
    demo's ring when someone moves the clock) does the work due, and is all the demo relies on.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler.executors").setLevel(logging.ERROR)
