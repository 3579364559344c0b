"""500 presses of "✅ 收到" in 10 s on one tally, the real bot against the test server.

400 people in one group, 100 of whom press twice, at 50 presses/s by the real clock; the
test server's Telegram limits are on. Prints whether the final count is right, the
editMessageText calls (goal: at most one per 5 s) and the 429 answers (goal: none).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import func, select

from bench._server import busiest_window
from bot.app import ALLOWED_UPDATES, build_application, start_services, stop_services
from bot.edge.context import JianfuApplication
from bot.platform.clock import SystemClock
from bot.platform.i18n import text
from bot.platform.settings import load_settings, settings_for_api
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import Acknowledgement, LiveMessage
from testserver import BotApiServer, RequestRecord
from testserver.world import ChatMessage

PEOPLE = 400
PRESSES = 500
PER_SECOND = 50.0
EDIT_INTERVAL_S = 5.0
# Generous: how long the bot may take to show the final count before the run is called failed.
SETTLE_S = 60.0


@asynccontextmanager
async def running_bot(server: BotApiServer, database_url: str) -> AsyncIterator[JianfuApplication]:
    """The real Application on the system clock, polling the test server."""
    base = settings_for_api(
        load_settings(None, {}),
        token=server.token,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        database_url=database_url,
    )
    settings = dataclasses.replace(
        base,
        # Real time may be a night or a rest day; this group works around the clock.
        defaults=dataclasses.replace(
            base.defaults, quiet_windows=(), rest_days=frozenset(), holiday_calendar="none"
        ),
    )
    application = build_application(settings, SystemClock())
    await application.initialize()
    await start_services(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(
        poll_interval=0, timeout=1, allowed_updates=list(ALLOWED_UPDATES)
    )
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await stop_services(application)
        await application.shutdown()


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float) -> bool:
    """Poll `condition()` until true or `seconds` pass; whether it became true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.05)
    return False


def _edits(server: BotApiServer) -> list[RequestRecord]:
    return [r for r in server.requests_for("editMessageText") if r.status == 200]


def _closest(records: list[RequestRecord]) -> float:
    times = sorted(r.at for r in records)
    return min((b - a for a, b in itertools.pairwise(times)), default=float("inf"))


async def run() -> None:
    server = BotApiServer()
    world = server.world
    requester = world.add_user("王主任")
    people = [world.add_user(f"网格员{n:03d}") for n in range(PEOPLE)]
    group = world.add_group("街道网格员群", admins=[requester], members=people)
    expected = text("ack.tally", "zh-Hans", count=PEOPLE, total=PEOPLE + 1)
    await server.start()
    try:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'presses.db'}"
            await upgrade_to_head(url)
            async with running_bot(server, url) as application:
                sessions = application.bot_data.services.sessions
                notice = world.send(requester, group, "今晚八点前上报网格巡查情况,收到请回复。")

                def tally() -> ChatMessage | None:
                    return next(
                        (
                            m
                            for m in world.sent_by_bot(group)
                            if m.reply_to_message_id == notice.message_id and m.callback_data
                        ),
                        None,
                    )

                async def posted() -> bool:
                    async with sessions() as session:
                        known = await session.scalar(select(LiveMessage.message_id))
                    return tally() is not None and known is not None

                if not await _until(posted, SETTLE_S):
                    print("  the tally message never appeared")
                    return
                message = tally()
                assert message is not None
                await asyncio.sleep(EDIT_INTERVAL_S)  # the "0/401" edit after measuring the group
                before = len(_edits(server))
                started = time.monotonic()
                presses = []
                for n in range(PRESSES):
                    presses.append(world.press(people[n % PEOPLE], message))
                    await asyncio.sleep(max(0.0, started + (n + 1) / PER_SECOND - time.monotonic()))
                pressing = time.monotonic() - started

                async def shown() -> bool:
                    return expected in (message.text or "") and all(p.answer for p in presses)

                settled = await _until(shown, SETTLE_S)
                done = time.monotonic() - started
                async with sessions() as session:
                    counted = await session.scalar(select(func.count(Acknowledgement.id)))
    finally:
        await server.stop()
    edits = _edits(server)[before:]
    print(
        f"presses: {PRESSES} by {PEOPLE} people in {pressing:.1f} s "
        f"({PRESSES / pressing:.0f}/s), SQLite file, test server limits on"
    )
    print(
        f"  final count: {counted} stored, tally shows {expected!r}: "
        f"{'yes' if settled else 'NO'} ({done:.1f} s after the first press)"
    )
    print(
        f"  editMessageText calls: {len(edits)} (goal at most one per {EDIT_INTERVAL_S:g} s; "
        f"busiest {EDIT_INTERVAL_S:g} s: {busiest_window(edits, EDIT_INTERVAL_S)}, "
        f"closest two {_closest(edits):.2f} s apart); "
        f"429 answers: {server.count_429}"
    )
