"""Soak: a night of group traffic through random faults on every Bot API method the bot uses,
with the bot killed (kill -9) at random moments and started again (issue 10 item 10).

The bot runs in a process of its own (tests/soak_process.py: the bot `jianfu run` runs, on a
clock this test moves) against the project's test server, which fails requests at random the
ways Telegram does: 429, 500, 502, a timeout, a dropped connection, an answer lost after the
call was performed (whose retry then hears "message to delete not found" or "message is not
modified"), and 403 from people who blocked the bot. The invariant, checked on every group
message of the night: it is still visible in the group, or it was held and released exactly
once, or it was absorbed (an acknowledgement) or merged (a 接龙 repost) and logged so; none
lost, none doubled, every message logged; and at the end no outbox item is left claimed or
due, no held message left unreleased.

Seeded: the traffic, the faults and the moments of the kills come from the seed (the request
order, hence which request a fault hits, still depends on timing). A failure names its seed;
replay it with `JIANFU_SOAK_SEEDS=<seed> pytest tests/test_soak.py`. The default run plays two
seeds; `make soak` plays twenty, with a longer night.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import ManualClock
from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import Chat as ChatRow
from bot.platform.storage.models import (
    HeldMessage,
    LiveMessage,
    MessageLog,
    OutboxItem,
    RollcallEntry,
)
from tests.e2e.harness import shanghai
from tests.soak_process import write_clock
from testserver.faults import FaultKind, RandomFaults
from testserver.server import BotApiServer
from testserver.world import DEFAULT_BOT_RIGHTS, Chat, ChatMessage, User

SEEDS_ENV = "JIANFU_SOAK_SEEDS"
NIGHT_ENV = "JIANFU_SOAK_MESSAGES"
DEFAULT_SEEDS = "1,2"
DEFAULT_MESSAGES = 40
FAULT_RATE = 0.15
KILL_CHANCE = 0.25  # after each burst of the night
MORNING_KILLS = 2
# Guards against a hang, never a measure: each wait ends as soon as its state is seen.
PATIENCE_S = 180.0
POLL_S = 0.05

DAY = shanghai(2026, 11, 18, 10)  # a Wednesday
NIGHT = shanghai(2026, 11, 18, 23, 10)
MORNING = shanghai(2026, 11, 19, 8)
REQUEST = "关于开展冬季消防安全检查的通知:请各村于周五前完成自查,收到请回复。"
TOPIC = "周六志愿者报名接龙"
CHAIN = f"{TOPIC}\n1. 张伟\n2. 李娜"
HOSTILE = (
    "明天\x00交材料",
    "\u202e料材交天明\u202c 请查收",
    "通\u200b知\u200d\ufeff:明天开会",
    "'; DROP TABLE message_log; --",
    "%s %(x)s {0} \\u0000",
    "Z\u0351\u0352a\u0354lgo" * 40,
)

HELD_KINDS = frozenset({"notice", "photo", "hostile"})
"""What the night's traffic posts that quiet hours hold (urgent ones pass, within the quota)."""

_CONNECTION: list[FaultKind] = ["429", "500", "502", "timeout", "drop"]
_LOST: list[FaultKind] = ["lost"] * 5
# Every method the bot calls fails these ways; an answer lost after the call was performed
# only where a retry can tell (a delete hears "not found", an edit "not modified"): a lost
# sendMessage is sent again, the outbox's one documented window for a duplicate.
FAULT_KINDS: dict[str, list[FaultKind]] = {
    "*": _CONNECTION,
    "sendMessage": [*_CONNECTION, "403"],
    # A lost delete is the fault most likely to be misread: it weighs as much as the others.
    "deleteMessage": [*_CONNECTION, *_LOST],
    "deleteMessages": [*_CONNECTION, *_LOST],
    "editMessageText": [*_CONNECTION, "lost"],
}


def soak_seeds() -> list[int]:
    written = os.environ.get(SEEDS_ENV, DEFAULT_SEEDS)
    return [int(seed) for seed in written.replace(",", " ").split()]


def night_messages() -> int:
    return int(os.environ.get(NIGHT_ENV, DEFAULT_MESSAGES))


class BotProcess:
    """The bot in a process of its own: started, killed with SIGKILL, started again."""

    def __init__(self, directory: Path, server: BotApiServer, database: str) -> None:
        self.directory = directory
        self.clock_file = directory / "clock.txt"
        self.config = directory / "config.toml"
        self.config.write_text(
            f'[telegram]\nbase_url = "{server.base_url}"\n'
            f'base_file_url = "{server.base_file_url}"\n\n'
            f'[database]\nurl = "{database}"\n\n[instance]\nid = "soak"\n',
            encoding="utf-8",
        )
        self._token = server.token
        self._process: subprocess.Popen[bytes] | None = None
        self._server = server
        self._started_at = 0.0
        self.starts = 0
        self.kills = 0

    def polling(self) -> bool:
        """Whether the process started last is up: it has asked for updates."""
        return any(
            r.method == "getUpdates" and r.at > self._started_at
            for r in reversed(self._server.requests)
        )

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIANFU_")}
        env["JIANFU_BOT_TOKEN"] = self._token
        self.starts += 1
        self._started_at = time.monotonic()
        log = (self.directory / f"bot-{self.starts}.log").open("wb")
        arguments = ["--config", str(self.config), "--clock", str(self.clock_file)]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.soak_process", *arguments],
            cwd=Path(__file__).resolve().parents[1],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait()
            self.kills += 1
        self._process = None

    def keep_running(self) -> None:
        """Start it again if it died (a supervisor's restart after a crash or a kill)."""
        if self._process is None or self._process.poll() is not None:
            self.start()

    def stop(self) -> int:
        if self._process is None or self._process.poll() is not None:
            return 0
        self._process.send_signal(signal.SIGTERM)
        return self._process.wait(timeout=PATIENCE_S)


@dataclass
class Posted:
    """A message the night's traffic posted, and what it is."""

    message: ChatMessage
    kind: str  # notice, ack, repost, urgent, photo, hostile
    tag: str = ""  # in the text of those that can be held, to count their releases
    line: str = ""  # the repost's own line


@dataclass
class Night:
    seed: int
    server: BotApiServer
    clock: ManualClock
    bot: BotProcess
    sessions: async_sessionmaker[AsyncSession]
    rng: random.Random
    group: Chat | None = None
    people: list[User] = field(default_factory=list)
    request: ChatMessage | None = None
    posted: list[Posted] = field(default_factory=list)

    def set_clock(self, instant: datetime) -> None:
        self.clock.set(instant)
        write_clock(self.bot.clock_file, instant)

    def advance(self, seconds: float) -> None:
        self.set_clock(self.clock.now() + timedelta(seconds=seconds))

    async def until_quiet(self, what: str) -> None:
        """Until every update is taken and nothing is due or claimed in the outbox, moving the
        clock on to what waits (a retry, a tally's next edit) and restarting a dead bot."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PATIENCE_S
        while True:
            self.bot.keep_running()
            busy, waiting = await self._outbox_state()
            if not self.server.world.queued_updates and not busy and self.bot.polling():
                if waiting is None:
                    return
                self.set_clock(max(waiting, self.clock.now()) + timedelta(seconds=1))
            if loop.time() > deadline:
                stuck = await self._stuck()
                pytest.fail(f"seed {self.seed}: {what} never became quiet; {stuck}")
            await asyncio.sleep(POLL_S)

    async def _outbox_state(self) -> tuple[int, datetime | None]:
        now = self.clock.now()
        async with self.sessions() as session:
            busy = await session.scalar(
                select(func.count()).where(
                    (OutboxItem.status == "claimed")
                    | ((OutboxItem.status == "pending") & (OutboxItem.not_before <= now))
                )
            )
            later = await session.scalar(
                select(func.min(OutboxItem.not_before)).where(OutboxItem.status == "pending")
            )
            dirty = await session.scalar(select(func.count()).where(LiveMessage.dirty.is_(True)))
            due = await session.scalar(
                select(func.count()).where(
                    HeldMessage.status == "held", HeldMessage.release_at <= now
                )
            )
        if dirty and later is None:
            later = now + timedelta(seconds=5)
        return int(busy or 0) + int(due or 0), later

    async def _stuck(self) -> str:
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(OutboxItem.idempotency_key, OutboxItem.status, OutboxItem.claimed_until)
                    .where(OutboxItem.status.in_(("pending", "claimed")))
                    .limit(10)
                )
            ).all()
        unconfirmed = len(self.server.world.queued_updates)
        return f"{unconfirmed} updates unconfirmed, outbox items waiting: {rows}"

    # ---- the scene ------------------------------------------------------------------------

    async def day(self) -> None:
        """A group the bot is made admin of, a request for replies and a 接龙, by day."""
        world = self.server.world
        self.set_clock(DAY)
        self.bot.start()
        owner = world.add_user("王主任", started=True)
        # All have started the bot, so what it tells them goes privately: the group's budget
        # of 20 messages a minute (real minutes) is the night's edits and the morning's digest.
        self.people = [world.add_user(f"网格员{n:02d}") for n in range(12)]
        for person in self.people:
            world.send(person, world.private_chat(person), "/start")
        group = world.add_group(
            "青石镇工作群",
            creator=owner,
            members=self.people,
            bot_status="left",
            bot_rights=(),
        )
        world.set_bot_status(group, "administrator", by=owner, rights=DEFAULT_BOT_RIGHTS)
        self.group = group
        await self.until_quiet("the bot joining")
        self.request = world.send(owner, group, REQUEST)
        world.send(self.people[0], group, CHAIN)
        await self.until_quiet("the request and the chain")

    async def night(self, count: int) -> None:
        """`count` messages in bursts through random faults, the bot killed now and then."""
        self.set_clock(NIGHT)
        self.server.faults.random = RandomFaults(
            random.Random(self.seed * 7919), FAULT_RATE, FAULT_KINDS
        )
        while len(self.posted) < count:
            for _ in range(min(self.rng.randint(1, 8), count - len(self.posted))):
                self.posted.append(self._post(len(self.posted)))
            await asyncio.sleep(self.rng.uniform(0, 0.3))
            self.advance(self.rng.uniform(1, 30))
            if self.rng.random() < KILL_CHANCE:
                self.bot.kill()
                await asyncio.sleep(self.rng.uniform(0, 0.5))
            self.bot.keep_running()
        await self.until_quiet("the night")

    async def morning(self) -> None:
        """The release at the work start, the bot killed during it, then the faults stop."""
        self.set_clock(MORNING)
        for _ in range(MORNING_KILLS):
            await asyncio.sleep(self.rng.uniform(0.2, 2.0))
            self.bot.kill()
            self.bot.keep_running()
        await self.until_quiet("the release")
        self.server.faults.random = None
        self.advance(60)
        await self.until_quiet("the morning")

    def _post(self, n: int) -> Posted:
        world, group, rng = self.server.world, self.group, self.rng
        assert group is not None and self.request is not None
        sender = rng.choice(self.people)
        tag = f"#s{self.seed}m{n:03d}"
        roll = rng.random()
        if roll < 0.15:
            return Posted(world.send(sender, group, "收到", reply_to=self.request), "ack")
        if roll < 0.25:
            line = f"志愿者{self.seed}-{n:03d}"
            return Posted(world.send(sender, group, f"{CHAIN}\n3. {line}"), "repost", line=line)
        if roll < 0.30:
            body = f"【紧急】今晚水库泄洪,请沿河村组立即转移群众 {tag}"
            return Posted(world.send(sender, group, body), "urgent", tag)
        if roll < 0.35:
            message = world.send(sender, group, media="photo", caption=f"现场照片 {tag}")
            return Posted(message, "photo", tag)
        if roll < 0.45:
            return Posted(world.send(sender, group, f"{rng.choice(HOSTILE)} {tag}"), "hostile", tag)
        body = f"第{n}条通知 {tag}:明天上午九点在村委会开会"
        return Posted(world.send(sender, group, body), "notice", tag)

    # ---- the invariant --------------------------------------------------------------------

    async def breaches(self) -> list[str]:
        """Every way the night broke the invariant, one line each (none: it held)."""
        assert self.group is not None
        group_id = self.group.id
        async with self.sessions() as session:
            logged = Counter(
                await session.scalars(
                    select(MessageLog.message_id).where(MessageLog.chat_id == group_id)
                )
            )
            actions = dict(
                (
                    await session.execute(
                        select(MessageLog.message_id, MessageLog.action).where(
                            MessageLog.chat_id == group_id
                        )
                    )
                ).all()
            )
            held = {
                row.message_id: row
                for row in await session.scalars(
                    select(HeldMessage).where(HeldMessage.chat_id == group_id)
                )
            }
            entries = set(await session.scalars(select(RollcallEntry.name)))
            fallback = await session.scalar(
                select(ChatRow.fallback_reason).where(ChatRow.chat_id == group_id)
            )
            left = (
                await session.execute(
                    select(OutboxItem.idempotency_key, OutboxItem.status).where(
                        OutboxItem.status.in_(("pending", "claimed"))
                    )
                )
            ).all()
            failed = (
                await session.execute(
                    select(OutboxItem.idempotency_key, OutboxItem.last_error).where(
                        OutboxItem.status == "failed", OutboxItem.chat_id == group_id
                    )
                )
            ).all()
        sent = self.server.world.sent_by_bot(self.group)
        # A held photo is released twice over: a line of the digest, and the photo itself.
        bot_said = {
            "text": [m.text or "" for m in sent if m.media is None],
            "media": [m.caption or "" for m in sent if m.media is not None],
        }
        found: list[str] = []
        for posted in self.posted:
            found += _breaches_of(posted, logged, actions, held, entries, bot_said)
        # No delete is refused in this night: faults must not pass for a lost right.
        if fallback is not None:
            found.append(f"the group fell back to advise ({fallback})")
        found += [f"outbox item {key} left {status}" for key, status in left]
        found += [f"group outbox item {key} failed: {error}" for key, error in failed]
        found += [
            f"message {message_id} still held"
            for message_id, row in held.items()
            if row.status == "held"
        ]
        return found


def _breaches_of(
    posted: Posted,
    logged: Counter[int],
    actions: dict[int, str],
    held: dict[int, HeldMessage],
    entries: set[str],
    bot_said: dict[str, list[str]],
) -> list[str]:
    message = posted.message
    name = f"{posted.kind} {message.message_id} {posted.tag}".strip()
    if logged[message.message_id] != 1:
        return [f"{name}: logged {logged[message.message_id]} times"]
    action = actions[message.message_id]
    said = bot_said["media" if posted.kind == "photo" else "text"]
    releases = sum(text.count(posted.tag) for text in said) if posted.tag else 0
    if posted.kind == "repost" and posted.line not in entries:
        return [f"{name}: its line {posted.line} is not in the roll-call"]
    if action in ("absorbed", "merged"):
        return [] if releases == 0 else [f"{name}: {action}, yet posted again"]
    row = held.get(message.message_id)
    if not message.deleted and posted.kind in HELD_KINDS:
        return [f"{name}: a quiet-time message left in the group ({action})"]
    if not message.deleted:
        return [] if releases == 0 else [f"{name}: visible and released {releases} times"]
    if row is None:
        return [f"{name}: deleted but neither held nor absorbed nor merged ({action})"]
    if releases != 1:
        return [f"{name}: held, released {releases} times"]
    return []


@pytest.fixture
def server_and_clock() -> Iterator[tuple[BotApiServer, ManualClock]]:
    clock = ManualClock(DAY)
    yield BotApiServer(clock=clock.now), clock


@pytest.mark.parametrize("seed", soak_seeds())
async def test_a_night_through_faults_and_kills_loses_nothing_and_doubles_nothing(
    server_and_clock: tuple[BotApiServer, ManualClock], db_url: str, tmp_path: Path, seed: int
) -> None:
    server, clock = server_and_clock
    await upgrade_to_head(db_url)
    engine = create_engine(db_url)
    await server.start()
    bot = BotProcess(tmp_path, server, db_url)
    night = Night(seed, server, clock, bot, session_factory(engine), random.Random(seed))
    try:
        await night.day()
        await night.night(night_messages())
        await night.morning()
        assert bot.stop() == 0
        breaches = await night.breaches()
    finally:
        bot.kill()
        await server.stop()
        await engine.dispose()
    replay = f"replay: {SEEDS_ENV}={seed} pytest tests/test_soak.py; bot logs in {tmp_path}"
    assert breaches == [], f"seed {seed} ({bot.kills} kills): {breaches}; {replay}"
    assert bot.kills >= MORNING_KILLS
    assert any(r.status != 200 for r in server.requests), "faults were injected"
    server.assert_no_violations()
