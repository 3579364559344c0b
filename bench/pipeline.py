"""The group-message pipeline against bare python-telegram-bot, and the hold latency at night.

1. Throughput: N late-night group messages polled from the test Bot API server by the real
   Application (storage in a SQLite file; every message held, so each is stored, logged and
   deleted through the outbox, its sender told once), and the same N by a bare PTB
   Application with one empty handler. Updates/s for both and their ratio (goal: >= 0.5).
2. Latency: late-night messages arriving at 200/s (and at 50/s); for each, the time from the
   server handing it out in getUpdates to the deleteMessage(s) request naming it arriving at
   the server (goal at 200/s: p99 <= 50 ms).

The server runs on a thread of its own (bench/_server.py), so its work is not the bot's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytz
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench._server import serving
from bot.app import ALLOWED_UPDATES, build_application, start_services, stop_services
from bot.clock import ManualClock
from bot.settings import Secret, Settings, TelegramSettings, load_settings
from bot.storage.engine import create_engine, session_factory
from bot.storage.migrate import upgrade_to_head
from bot.storage.models import Chat, Member, User
from testserver import BotApiServer
from testserver.world import Chat as WorldChat
from testserver.world import User as WorldUser

N = 2000
SENDERS = 50
LATENCY_RATE = 200  # updates per second: the goal's rate
# Also at a rate the pipeline keeps up with, where the figure is its own latency, not a backlog.
LATENCY_RATES = (LATENCY_RATE, 50)
LATENCY_SECONDS = 5
NIGHT = pytz.timezone("Asia/Shanghai").localize(datetime(2026, 11, 18, 23, 0))
TEXTS = (
    "明天上午九点在村委会开会,请各组长参加",
    "请各网格员今晚统计辖区独居老人名单",
    "关于冬季防火巡查的通知,详见附件",
    "周五前报送本月安全生产台账",
)


@dataclasses.dataclass
class Counter:
    handled: int = 0
    done: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    target: int = 0

    def count(self) -> None:
        self.handled += 1
        if self.handled >= self.target:
            self.done.set()


def _world(server: BotApiServer) -> tuple[WorldChat, list[WorldUser]]:
    world = server.world
    people = [world.add_user(f"网格员{n}", started=True) for n in range(SENDERS)]
    group = world.add_group("街道工作群", members=people)
    return group, people


def _send(server: BotApiServer, group: WorldChat, people: list[WorldUser], n: int) -> None:
    server.world.send(people[n % len(people)], group, f"{TEXTS[n % len(TEXTS)]}({n})")


async def _known(url: str, group: WorldChat, people: list[WorldUser]) -> None:
    """What the bot would have learnt by joining: the group, its rights, members who started it."""
    await upgrade_to_head(url)
    engine = create_engine(url)
    now = NIGHT.astimezone(pytz.utc)
    async with session_factory(engine)() as session:
        session.add(
            Chat(
                chat_id=group.id,
                type="supergroup",
                title=group.title,
                bot_is_admin=True,
                bot_can_delete=True,
                bot_sees_all=True,
                joined_at=now,
            )
        )
        for person in people:
            session.add(
                User(user_id=person.id, first_name=person.first_name, can_dm=True, updated_at=now)
            )
            session.add(
                Member(chat_id=group.id, user_id=person.id, status="member", last_seen_at=now)
            )
        await session.commit()
    await engine.dispose()


def _settings(server: BotApiServer, url: str) -> Settings:
    base = load_settings(None, {})
    return dataclasses.replace(
        base,
        telegram=TelegramSettings(
            token=Secret(server.token),
            base_url=server.base_url,
            base_file_url=server.base_file_url,
        ),
        database=dataclasses.replace(base.database, url=url),
    )


async def _polled(app: Any, *, jianfu: bool) -> Callable[[], Awaitable[None]]:
    """Start `app` polling (with its services, for Jianfu's); the function that stops it."""
    await app.initialize()
    if jianfu:
        await start_services(app)
    await app.start()
    await app.updater.start_polling(
        poll_interval=0, timeout=1, allowed_updates=list(ALLOWED_UPDATES)
    )

    async def stop() -> None:
        await app.updater.stop()
        await app.stop()
        if jianfu:
            await stop_services(app)
        await app.shutdown()

    return stop


async def _bot_rate(directory: Path) -> float:
    server = BotApiServer(clock=ManualClock(NIGHT).now)
    group, people = _world(server)
    url = f"sqlite+aiosqlite:///{directory / 'throughput.db'}"
    await _known(url, group, people)
    for n in range(N):
        _send(server, group, people, n)
    counter = Counter(target=N)

    async def counted(_update: Update, _context: Any) -> None:
        counter.count()

    with serving(server):
        app = build_application(_settings(server, url), ManualClock(NIGHT))
        app.add_handler(MessageHandler(filters.ALL, counted), group=10_000)
        started = time.perf_counter()
        stop = await _polled(app, jianfu=True)
        await counter.done.wait()
        seconds = time.perf_counter() - started
        await stop()
    return N / seconds


async def _bare_rate() -> float:
    server = BotApiServer(clock=ManualClock(NIGHT).now)
    group, people = _world(server)
    for n in range(N):
        _send(server, group, people, n)
    counter = Counter(target=N)

    async def empty(_update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        counter.count()

    with serving(server):
        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        app.add_handler(MessageHandler(filters.ALL, empty))
        started = time.perf_counter()
        stop = await _polled(app, jianfu=False)
        await counter.done.wait()
        seconds = time.perf_counter() - started
        await stop()
    return N / seconds


@dataclasses.dataclass
class HandOuts:
    """When getUpdates first handed out each message (monotonic), and the server's loop."""

    at: dict[int, float] = dataclasses.field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None
    polled: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)


def _watch_hand_outs(server: BotApiServer, bot_loop: asyncio.AbstractEventLoop) -> HandOuts:
    hand_outs = HandOuts()
    lookup = server.methods.handler

    def handler(method: str) -> Any:
        found = lookup(method)
        if method != "getUpdates" or found is None:
            return found

        async def get_updates(params: Any) -> Any:
            if hand_outs.loop is None:
                hand_outs.loop = asyncio.get_running_loop()
                bot_loop.call_soon_threadsafe(hand_outs.polled.set)
            updates = await found(params)
            now = time.monotonic()
            for update in updates:
                message = update.get("message")
                if message is not None:
                    hand_outs.at.setdefault(message["message_id"], now)
            return updates

        return get_updates

    server.methods.handler = handler  # type: ignore[method-assign]
    return hand_outs


async def _latencies(directory: Path, rate: int) -> tuple[list[float], int]:
    """Milliseconds from hand-out to delete request for each message; and the messages sent."""
    server = BotApiServer(clock=ManualClock(NIGHT).now)
    group, people = _world(server)
    url = f"sqlite+aiosqlite:///{directory / f'latency{rate}.db'}"
    await _known(url, group, people)
    hand_outs = _watch_hand_outs(server, asyncio.get_running_loop())
    total = rate * LATENCY_SECONDS
    counter = Counter(target=total)

    async def counted(_update: Update, _context: Any) -> None:
        counter.count()

    async def feed() -> None:
        start = time.monotonic()
        for n in range(total):
            await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            _send(server, group, people, n)

    with serving(server):
        app = build_application(_settings(server, url), ManualClock(NIGHT))
        app.add_handler(MessageHandler(filters.ALL, counted), group=10_000)
        stop = await _polled(app, jianfu=True)
        await hand_outs.polled.wait()
        assert hand_outs.loop is not None
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(feed(), hand_outs.loop))
        await counter.done.wait()
        deadline = time.monotonic() + 10
        # The deletes happen on the server's thread; look until all are done.
        while _deleted_count(server) < total and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await stop()
    deleted_at: dict[int, float] = {}
    for record in server.requests:
        if record.method in ("deleteMessage", "deleteMessages") and record.status == 200:
            params = record.params
            ids = params.get("message_ids") or [params["message_id"]]
            for message_id in json.loads(ids) if isinstance(ids, str) else ids:
                deleted_at.setdefault(int(message_id), record.at)
    handed_out = hand_outs.at
    return [(deleted_at[m] - handed_out[m]) * 1000 for m in handed_out if m in deleted_at], total


def _deleted_count(server: BotApiServer) -> int:
    return len(server.world.deletions)


async def run() -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        bare = await _bare_rate()
        bot = await _bot_rate(directory)
        print(f"pipeline: {N} late-night group messages, polled over HTTP from the test server")
        print(f"  bare PTB, one empty handler: {bare:8.1f} updates/s")
        print(f"  Jianfu (SQLite file, held):  {bot:8.1f} updates/s")
        print(f"  ratio: {bot / bare:.2f} (goal >= 0.5)")
        for rate in LATENCY_RATES:
            latencies, sent = await _latencies(directory, rate)
            cuts = statistics.quantiles(latencies, n=100)
            print(
                f"hold latency at {rate} updates/s for {LATENCY_SECONDS} s "
                f"({len(latencies)} of {sent} deleted): p50 {statistics.median(latencies):.1f} ms"
                f", p99 {cuts[98]:.1f} ms, max {max(latencies):.1f} ms"
                + (" (goal at 200/s: p99 <= 50 ms)" if rate == LATENCY_RATE else "")
            )
