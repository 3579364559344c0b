"""The group-message pipeline against bare python-telegram-bot, and the hold latency at night.

1. Throughput: N late-night group messages polled from the test Bot API server by the real
   Application (storage in a SQLite file; every message held, so each is stored, logged and
   deleted through the outbox, its sender told once), and the same N by a bare PTB
   Application with one empty handler. Updates/s for both and their ratio (goal: >= 0.5).
2. Latency: late-night messages arriving at 200/s; for each, the time from the server making
   its update available to the deleteMessage(s) request naming it arriving at the server (goal:
   p99 <= 50 ms). Measured only when the throughput is above 200/s: below it the figure would
   be the length of the backlog, not the pipeline's latency. Also at rates the bot may sustain:
   a half and a quarter of the measured throughput (those below 200/s). Each also without its
   first 2 s, when the 50 senders' first messages (recorded, each sender told once) come in.

Both on a SQLite file, and on PostgreSQL too when JIANFU_BENCH_POSTGRES_URL names a server
(e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres): each measurement gets a fresh
database on it, dropped afterwards.

Every measurement, bare PTB's too, has its own test server in a process of its own
(`python -m testserver`, bench/_server.py), as Telegram is another machine: its work does not
compete with the bot's for the GIL. The server paces the messages itself and takes both times
of a latency. Jianfu polls as bot/edge/runner.py does (its own poller: a batch is stored before
the next getUpdates confirms it, with no pause between calls); bare PTB with PTB's Updater and
its defaults. A run is done when the server holds no unconfirmed update and the bot waits for
more.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytz
from sqlalchemy.engine import make_url
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

from bench._server import Standalone, standalone
from bot.app import ALLOWED_UPDATES, build_application, start_services, stop_services
from bot.edge.updates import POLL_TIMEOUT, Poller
from bot.platform.clock import ManualClock
from bot.platform.settings import Settings, load_settings, settings_for_api
from bot.platform.storage.engine import create_engine, session_factory
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import Chat, Member, User

N = 2000
MEMORY_BURSTS = 10  # 20,000 messages, for memory
SENDERS = 50
LATENCY_RATE = 200  # updates per second: the goal's rate
LATENCY_SECONDS = 5
WARM_UP_SECONDS = 2
POSTGRES_ENV = "JIANFU_BENCH_POSTGRES_URL"
NIGHT = pytz.timezone("Asia/Shanghai").localize(datetime(2026, 11, 18, 23, 0))
TEXTS = (
    "明天上午九点在村委会开会,请各组长参加",
    "请各网格员今晚统计辖区独居老人名单",
    "关于冬季防火巡查的通知,详见附件",
    "周五前报送本月安全生产台账",
)
DELETE_METHODS = ("deleteMessage", "deleteMessages")


@dataclasses.dataclass
class Counter:
    handled: int = 0
    done: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)
    target: int = 0

    def count(self) -> None:
        self.handled += 1
        if self.handled >= self.target:
            self.done.set()


@dataclasses.dataclass(frozen=True)
class Scene:
    """The group and its senders on the test server, as its control API describes them."""

    group: dict[str, Any]
    people: list[dict[str, Any]]


async def _control(server: Standalone, verb: str, name: str, **arguments: Any) -> Any:
    response = await server.control.request(verb, name, **arguments)
    response.raise_for_status()
    return response.json()


async def _scene(server: Standalone) -> Scene:
    people = [
        await _control(server, "POST", "users", json={"first_name": f"网格员{n}", "started": True})
        for n in range(SENDERS)
    ]
    members = [person["id"] for person in people]
    group = await _control(
        server, "POST", "groups", json={"title": "街道工作群", "member_ids": members}
    )
    return Scene(group, people)


async def _send(server: Standalone, scene: Scene, count: int, rate: int = 0) -> dict[int, float]:
    """Post `count` messages, `rate` per second (all at once if 0), senders in turn: when the
    server made each one's update available (its time.monotonic()), by message id."""
    sent = await _control(
        server,
        "POST",
        "send_many",
        json={
            "chat_id": scene.group["id"],
            "user_ids": [person["id"] for person in scene.people],
            "texts": [f"{TEXTS[n % len(TEXTS)]}({n})" for n in range(count)],
            "rate": rate,
        },
    )
    return {message["message_id"]: message["at"] for message in sent}


async def _known(url: str, scene: Scene) -> None:
    """What the bot would have learnt by joining: the group, its rights, members who started it."""
    await upgrade_to_head(url)
    engine = create_engine(url)
    now = NIGHT.astimezone(pytz.utc)
    async with session_factory(engine)() as session:
        session.add(
            Chat(
                chat_id=scene.group["id"],
                type="supergroup",
                title=scene.group["title"],
                bot_is_admin=True,
                bot_can_delete=True,
                bot_sees_all=True,
                joined_at=now,
            )
        )
        for person in scene.people:
            session.add(
                User(
                    user_id=person["id"],
                    first_name=person["first_name"],
                    can_dm=True,
                    updated_at=now,
                )
            )
            session.add(
                Member(
                    chat_id=scene.group["id"],
                    user_id=person["id"],
                    status="member",
                    last_seen_at=now,
                )
            )
        await session.commit()
    await engine.dispose()


def _settings(server: Standalone, url: str) -> Settings:
    return settings_for_api(
        load_settings(None, {}),
        token=server.token,
        base_url=server.base_url,
        base_file_url=server.base_file_url,
        database_url=url,
    )


@dataclasses.dataclass(frozen=True)
class Database:
    """Where a measurement stores: a SQLite file in `directory`, or a PostgreSQL server."""

    name: str
    directory: Path | None = None
    server_url: str | None = None

    @asynccontextmanager
    async def fresh(self, label: str) -> AsyncIterator[str]:
        """The URL of an empty database for one measurement."""
        if self.directory is not None:
            yield f"sqlite+aiosqlite:///{self.directory / f'{label}.db'}"
            return
        assert self.server_url is not None
        server = make_url(self.server_url)
        name = f"jianfu_bench_{uuid.uuid4().hex[:12]}"
        admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
        await _admin(admin, f'CREATE DATABASE "{name}"')
        try:
            yield server.set(drivername="postgresql+asyncpg", database=name).render_as_string(
                hide_password=False
            )
        finally:
            await _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _bare_polled(app: Any) -> tuple[float, Callable[[], Awaitable[None]]]:
    """Start bare PTB polling: when polling began (perf_counter), and how to stop it."""
    await app.initialize()
    await app.start()
    started = time.perf_counter()
    await app.updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=list(ALLOWED_UPDATES))

    async def stop() -> None:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return started, stop


async def _jianfu_polled(
    app: Any, clock: ManualClock
) -> tuple[float, Poller, Callable[[], Awaitable[None]]]:
    """Start Jianfu polling as its runner does (start-up, e.g. the database check, is not the
    pipeline's cost): when polling began, the poller, and how to stop it."""
    await app.initialize()
    await start_services(app)
    await app.start()
    services = app.bot_data.services
    poller = Poller(app.bot, app.bot_data.stream, services.sessions, clock, ALLOWED_UPDATES)
    stopping = asyncio.Event()
    started = time.perf_counter()
    polling = asyncio.create_task(poller.run(stopping))

    async def stop() -> None:
        stopping.set()
        await polling
        await app.stop()
        await stop_services(app)
        await app.shutdown()

    return started, poller, stop


async def _all_taken(server: Standalone, poller: Poller) -> None:
    """Return once the server holds no unconfirmed update and the poller waits for more."""
    # The server is another process: its queue is polled, not hooked into.
    while not poller.idle.is_set() or (await _control(server, "GET", "updates"))["unconfirmed"]:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


@dataclasses.dataclass(frozen=True)
class Run:
    rate: float  # updates per second
    longest_stall_ms: float  # the longest the event loop did not get to a 1 ms timer
    rss_mb: list[float]  # resident memory after each burst


async def _watch_stalls(stalls: list[float]) -> None:
    """Note how late a 1 ms sleep wakes up: how long the loop was held by something else."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(0.001)
        stalls.append((loop.time() - before - 0.001) * 1000)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


async def _bot_run(url: str, bursts: int = 1) -> Run:
    """`bursts` bursts of N messages, one after the other, through one bot."""
    async with standalone(NIGHT) as server:
        scene = await _scene(server)
        await _known(url, scene)
        clock = ManualClock(NIGHT)
        app = build_application(_settings(server, url), clock)
        stalls: list[float] = []
        rss: list[float] = []
        seconds = 0.0
        await _send(server, scene, N)  # the first burst waits in the server before polling
        begun, poller, stop = await _jianfu_polled(app, clock)
        watching = asyncio.create_task(_watch_stalls(stalls))
        for burst in range(bursts):
            if burst:
                begun = time.perf_counter()
                await _send(server, scene, N)
            await _all_taken(server, poller)
            seconds += time.perf_counter() - begun
            rss.append(_rss_mb())
        watching.cancel()
        await stop()
    return Run(N * bursts / seconds, max(stalls, default=0.0), rss)


async def _bare_rate() -> float:
    async with standalone(NIGHT) as server:
        await _send(server, await _scene(server), N)
        counter = Counter(target=N)

        async def empty(_update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            counter.count()

        app = (
            ApplicationBuilder()
            .token(server.token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        app.add_handler(MessageHandler(filters.ALL, empty))
        started, stop = await _bare_polled(app)
        await counter.done.wait()
        seconds = time.perf_counter() - started
        await stop()
    return N / seconds


async def _deletes(server: Standalone) -> dict[int, float]:
    """When the first successful delete request naming each message arrived, by message id."""
    deleted_at: dict[int, float] = {}
    for method in DELETE_METHODS:
        for record in await _control(server, "GET", "requests", params={"method": method}):
            if record["status"] != 200:
                continue
            params = record["params"]
            for message_id in params.get("message_ids") or [params["message_id"]]:
                deleted_at[message_id] = min(deleted_at.get(message_id, math.inf), record["at"])
    return deleted_at


async def _first_poll(server: Standalone) -> None:
    """Return once the bot's first getUpdates has reached the server."""
    while True:
        if await _control(server, "GET", "requests", params={"method": "getUpdates"}):
            return
        await asyncio.sleep(0.05)


async def _latencies(url: str, rate: int) -> tuple[list[float], int]:
    """Milliseconds from update to delete request for each message, in the order sent; and the
    messages sent."""
    async with standalone(NIGHT) as server:
        scene = await _scene(server)
        await _known(url, scene)
        total = rate * LATENCY_SECONDS
        clock = ManualClock(NIGHT)
        app = build_application(_settings(server, url), clock)
        _, poller, stop = await _jianfu_polled(app, clock)
        await _first_poll(server)
        available_at = await _send(server, scene, total, rate)
        await _all_taken(server, poller)
        deadline = time.monotonic() + 10
        deleted_at = await _deletes(server)
        while len(deleted_at) < total and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            deleted_at = await _deletes(server)
        await stop()
    return [(deleted_at[m] - at) * 1000 for m, at in available_at.items() if m in deleted_at], total


def latency_rates(throughput: float) -> list[int]:
    """The goal's rate if the bot keeps up with it, and a half and a quarter of its throughput
    where those are lower: messages trickling in cost more each than a queue read in batches
    (a getUpdates call for every one or two), so half may not be sustainable yet."""
    rates = [LATENCY_RATE] if throughput > LATENCY_RATE else []
    for share in (2, 4):
        rate = max(int(throughput / share / 10) * 10, 10)
        if rate < LATENCY_RATE and rate not in rates:
            rates.append(rate)
    return rates


def _databases(directory: Path) -> list[Database]:
    found = [Database("SQLite file", directory=directory)]
    server_url = os.environ.get(POSTGRES_ENV)
    if server_url:
        found.append(Database("PostgreSQL", server_url=server_url))
    return found


async def run() -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        bare = await _bare_rate()
        print(f"pipeline: {N} late-night group messages, polled over HTTP from the test server")
        print(f"  long polls of {POLL_TIMEOUT} s; Jianfu's poller, PTB's Updater for bare PTB")
        print(f"  bare PTB, one empty handler: {bare:8.1f} updates/s")
        databases = _databases(directory)
        if len(databases) == 1:
            print(f"  (set {POSTGRES_ENV} to a PostgreSQL server URL to measure it too)")
        for database in databases:
            async with database.fresh("throughput") as url:
                measured = await _bot_run(url)
            bot = measured.rate
            print(f"Jianfu on {database.name}, every message held:")
            print(f"  {bot:8.1f} updates/s, ratio to bare PTB {bot / bare:.2f} (goal >= 0.5)")
            print(
                f"  longest event-loop stall in the {N}-message burst: "
                f"{measured.longest_stall_ms:.1f} ms (goal <= 20 ms)"
            )
            async with database.fresh("memory") as url:
                memory = await _bot_run(url, bursts=MEMORY_BURSTS)
            print(
                f"  resident memory after each {N} of {N * MEMORY_BURSTS} messages (MB): "
                + ", ".join(f"{mb:.0f}" for mb in memory.rss_mb)
                + " (goal: flat, <= 130 MB)"
            )
            if bot <= LATENCY_RATE:
                print(
                    f"  hold latency at {LATENCY_RATE} updates/s: not measured, the bot handles "
                    f"fewer; the figure would be the backlog's length"
                )
            for rate in latency_rates(bot):
                async with database.fresh(f"latency{rate}") as url:
                    latencies, sent = await _latencies(url, rate)
                share = f"{rate / bot:.0%} of throughput"
                note = "goal: p99 <= 50 ms" if rate == LATENCY_RATE else share
                print(
                    f"  hold latency at {rate} updates/s for {LATENCY_SECONDS} s "
                    f"({len(latencies)} of {sent} deleted): {_percentiles(latencies)} ({note})"
                )
                # Each sender's first message of the night costs most (recorded, told once).
                later = latencies[rate * WARM_UP_SECONDS :]
                print(f"    after the first {WARM_UP_SECONDS} s: {_percentiles(later)}")


def _percentiles(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (
        f"p50 {statistics.median(latencies):.1f} ms, p99 {cuts[98]:.1f} ms, "
        f"max {max(latencies):.1f} ms"
    )
