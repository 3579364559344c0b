"""The outbox repository and worker on both databases, with a fake Bot and a manual clock."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.edge.ratelimit import ChatRateLimiter
from bot.edge.sender import BotTransport, compact_result, failure_of
from bot.platform.clock import ManualClock
from bot.platform.outbox.items import FailureKind, Outgoing, Settled, TokenRejected
from bot.platform.outbox.store import claim_due, enqueue
from bot.platform.outbox.worker import DrainCounts, OutboxWorker
from bot.platform.storage.models import OutboxItem
from testserver import BotApiServer

# PTB itself reads RetryAfter.retry_after when building one, which warns until PTB_TIMEDELTA=1.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

Sessions = async_sessionmaker[AsyncSession]
KIND = "test"  # every item here is of one kind; its part names it
START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
ALICE, BOB, GROUP = 101, 102, -100500


class FakeBot:
    """Records every call; errors queued per chat are raised by that chat's next calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: dict[int, list[Exception]] = {}
        self.called = asyncio.Event()
        self._next_id = 0

    def fail(self, chat_id: int, *errors: Exception) -> None:
        self.errors.setdefault(chat_id, []).extend(errors)

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [
            str(params.get("text"))
            for method, params in self.calls
            if method == "sendMessage" and chat_id in (None, params["chat_id"])
        ]

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        self.calls.append((method, params))
        self.called.set()
        # Lets other chats and workers interleave, as a real request would.
        await asyncio.sleep(0)
        queued = self.errors.get(params.get("chat_id", 0))
        if queued:
            raise queued.pop(0)
        if method.startswith("delete"):
            return True
        self._next_id += 1
        return {"message_id": self._next_id, "chat": {"id": params["chat_id"]}}

    def __getattr__(self, method: str) -> Callable[..., Any]:
        async def call(**params: Any) -> Any:
            return await self._call(method, params)

        return call

    async def do_api_request(self, endpoint: str, api_kwargs: dict[str, Any]) -> Any:
        return await self._call(endpoint, api_kwargs)


def worker_for(
    fake: FakeBot, sessions: Sessions, clock: ManualClock, **kwargs: Any
) -> OutboxWorker:
    kwargs.setdefault("rng", random.Random(7))
    return OutboxWorker(BotTransport(cast(Bot, fake)), sessions, clock, **kwargs)


async def put(
    sessions: Sessions,
    key: str,
    chat_id: int,
    *,
    method: str = "sendMessage",
    payload: dict[str, Any] | None = None,
    not_before: datetime = START,
) -> bool:
    params = payload if payload is not None else {"chat_id": chat_id, "text": key}
    async with sessions() as session, session.begin():
        return await enqueue(
            session, Outgoing(KIND, chat_id, method, params, part=key), not_before=not_before
        )


async def find(sessions: Sessions, key: str) -> OutboxItem | None:
    async with sessions() as session:
        found: OutboxItem | None = await session.scalar(
            select(OutboxItem).where(OutboxItem.kind == KIND, OutboxItem.part == key)
        )
    return found


async def item(sessions: Sessions, key: str) -> OutboxItem:
    found = await find(sessions, key)
    assert found is not None
    return found


async def result_of(sessions: Sessions, key: str) -> dict[str, Any] | None:
    found = await find(sessions, key)
    return found.result if found is not None and found.status == "sent" else None


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def fake() -> FakeBot:
    return FakeBot()


async def test_enqueue_is_idempotent_on_the_key(session_factory: Sessions) -> None:
    assert await put(session_factory, "digest:1", ALICE)
    assert not await put(session_factory, "digest:1", ALICE, payload={"chat_id": BOB, "text": "2"})
    async with session_factory() as session:
        rows = (await session.scalars(select(OutboxItem))).all()
    assert [(row.part, row.chat_id, row.status, row.payload["text"]) for row in rows] == [
        ("digest:1", ALICE, "pending", "digest:1")
    ]


async def test_enqueue_joins_the_callers_transaction(session_factory: Sessions) -> None:
    async with session_factory() as session:
        await enqueue(session, Outgoing(KIND, ALICE, "sendMessage", {}, part="k"), not_before=START)
        await session.rollback()
    assert await find(session_factory, "k") is None


async def test_enqueue_refuses_an_overlong_key(session_factory: Sessions) -> None:
    with pytest.raises(ValueError, match="outbox key"):
        await put(session_factory, "k" * 201, ALICE)


async def test_due_items_are_sent_once_and_their_result_kept(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)
    await put(session_factory, "b1", BOB)
    await put(session_factory, "later", ALICE, not_before=START + timedelta(hours=1))
    seen: list[Settled] = []

    async def on_settled(settled: Settled) -> None:
        seen.append(settled)

    worker = worker_for(fake, session_factory, clock, on_settled=on_settled)
    assert await worker.drain_once() == DrainCounts(sent=2)
    assert await worker.drain_once() == DrainCounts()

    assert sorted(fake.texts()) == ["a1", "b1"]
    a1 = await result_of(session_factory, "a1")
    assert a1 is not None and isinstance(a1["message_id"], int)
    assert await result_of(session_factory, "later") is None
    assert sorted((s.part, s.sent) for s in seen) == [("a1", True), ("b1", True)]
    sent = await item(session_factory, "a1")
    assert (sent.status, sent.sent_at, sent.claimed_by) == ("sent", START, None)

    clock.advance(timedelta(hours=1))
    assert await worker.drain_once() == DrainCounts(sent=1)
    assert fake.texts(ALICE) == ["a1", "later"]


async def test_a_chats_items_go_out_in_order(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    for n in range(30):
        await put(session_factory, f"m{n:02}", ALICE if n % 3 else BOB)
    await worker_for(fake, session_factory, clock, batch_size=8, per_chat=3).drain_once()
    assert fake.texts(ALICE) == [f"m{n:02}" for n in range(30) if n % 3]
    assert fake.texts(BOB) == [f"m{n:02}" for n in range(30) if not n % 3]


async def test_retry_after_reschedules_that_chat_only_and_keeps_its_order(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    for key in ("a1", "a2", "a3"):
        await put(session_factory, key, ALICE)
    await put(session_factory, "b1", BOB)
    fake.fail(ALICE, RetryAfter(30))
    worker = worker_for(fake, session_factory, clock)

    assert await worker.drain_once() == DrainCounts(sent=1, retried=1)
    assert fake.texts() == ["a1", "b1"] or fake.texts() == ["b1", "a1"]
    a1 = await item(session_factory, "a1")
    assert (a1.status, a1.not_before, a1.attempts) == ("pending", START + timedelta(seconds=30), 0)
    assert "retry after 30" in (a1.last_error or "")
    assert (await item(session_factory, "a3")).not_before == START + timedelta(seconds=30)

    clock.advance(timedelta(seconds=29))
    assert await worker.drain_once() == DrainCounts()
    clock.advance(timedelta(seconds=1))
    assert await worker.drain_once() == DrainCounts(sent=3)
    assert fake.texts(ALICE) == ["a1", "a1", "a2", "a3"]


async def test_transient_errors_back_off_then_give_up(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)
    fake.fail(ALICE, *[NetworkError("Bad Gateway")] * 3)
    worker = worker_for(fake, session_factory, clock, max_attempts=3, backoff=timedelta(seconds=2))

    delays = []
    for _ in range(2):
        assert await worker.drain_once() == DrainCounts(retried=1)
        due = (await item(session_factory, "a1")).not_before
        delays.append(due - clock.now())
        clock.set(due)
    assert timedelta(seconds=1) <= delays[0] <= timedelta(seconds=2)
    assert timedelta(seconds=2) <= delays[1] <= timedelta(seconds=4)

    assert await worker.drain_once() == DrainCounts(failed=1)
    failed = await item(session_factory, "a1")
    assert failed.status == "failed" and failed.attempts == 3
    assert "gave up after 3 attempts" in (failed.last_error or "")
    clock.advance(timedelta(days=1))
    assert await worker.drain_once() == DrainCounts()
    assert len(fake.calls) == 3


async def test_a_timeout_is_retried(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)
    fake.fail(ALICE, TimedOut())
    worker = worker_for(fake, session_factory, clock)
    assert await worker.drain_once() == DrainCounts(retried=1)
    clock.advance(timedelta(minutes=1))
    assert await worker.drain_once() == DrainCounts(sent=1)


@pytest.mark.parametrize(
    "error",
    [
        Forbidden("Forbidden: bot was blocked by the user"),
        BadRequest("Bad Request: chat not found"),
        BadRequest("Bad Request: message to delete not found"),
    ],
)
async def test_permanent_errors_fail_at_once_with_the_reason(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot, error: Exception
) -> None:
    await put(session_factory, "a1", ALICE)
    await put(session_factory, "a2", ALICE)
    fake.fail(ALICE, error)
    worker = worker_for(fake, session_factory, clock)
    assert await worker.drain_once() == DrainCounts(sent=1, failed=1)
    failed = await item(session_factory, "a1")
    assert failed.status == "failed"
    assert str(error) in (failed.last_error or "")
    clock.advance(timedelta(days=1))
    assert await worker.drain_once() == DrainCounts()
    assert fake.texts() == ["a1", "a2"]


async def test_an_edit_that_changes_nothing_counts_as_sent(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    payload = {"chat_id": GROUP, "message_id": 5, "text": "已确认 3/28"}
    await put(session_factory, "tally:1:3", GROUP, method="editMessageText", payload=payload)
    fake.fail(GROUP, BadRequest("Message is not modified: specified new message content ..."))
    assert await worker_for(fake, session_factory, clock).drain_once() == DrainCounts(sent=1)
    assert await result_of(session_factory, "tally:1:3") == {"not_modified": True}


async def test_a_migrated_group_is_followed(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    supergroup = -1009999
    await put(session_factory, "g1", GROUP)
    await put(session_factory, "g2", GROUP)
    fake.fail(GROUP, ChatMigrated(supergroup))
    assert await worker_for(fake, session_factory, clock).drain_once() == DrainCounts(
        sent=2, retried=1
    )
    assert fake.texts(supergroup) == ["g1", "g2"]
    moved = await item(session_factory, "g2")
    assert (moved.chat_id, moved.payload["chat_id"]) == (supergroup, supergroup)


async def test_consecutive_deletes_go_as_one_delete_messages(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    for n in (11, 12, 13):
        payload = {"chat_id": GROUP, "message_id": n}
        await put(session_factory, f"del:{n}", GROUP, method="deleteMessage", payload=payload)
    bulk = {"chat_id": GROUP, "message_ids": [13, 14, 15]}
    await put(session_factory, "del:bulk", GROUP, method="deleteMessages", payload=bulk)
    await put(session_factory, "notice", GROUP)
    single = {"chat_id": GROUP, "message_id": 20}
    await put(session_factory, "del:20", GROUP, method="deleteMessage", payload=single)

    assert await worker_for(fake, session_factory, clock).drain_once() == DrainCounts(sent=6)
    # Each item of the batch is confirmed singly (deleteMessages answers True regardless).
    confirmations = [("deleteMessage", delete_payload(n)) for n in (11, 12, 13, 13, 14, 15)]
    assert fake.calls == [
        ("deleteMessages", {"chat_id": GROUP, "message_ids": [11, 12, 13, 14, 15]}),
        *confirmations,
        ("sendMessage", {"chat_id": GROUP, "text": "notice"}),
        ("deleteMessage", delete_payload(20)),
    ]


async def test_a_delete_run_is_cut_at_a_hundred_ids(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    for n in range(150):
        payload = {"chat_id": GROUP, "message_id": 1000 + n}
        await put(session_factory, f"del:{n:03}", GROUP, method="deleteMessage", payload=payload)
    worker = worker_for(fake, session_factory, clock, per_chat=200, batch_size=400)
    assert await worker.drain_once() == DrainCounts(sent=150)
    batches = [params for method, params in fake.calls if method == "deleteMessages"]
    assert [len(params["message_ids"]) for params in batches] == [100, 50]


async def test_an_expired_lease_is_reclaimed(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)
    async with session_factory() as session, session.begin():
        crashed = await claim_due(
            session,
            worker="crashed-host:1",
            now=clock.now(),
            lease=timedelta(seconds=60),
            limit=10,
            per_chat=10,
        )
    assert [c.part for c in crashed] == ["a1"]
    worker = worker_for(fake, session_factory, clock, worker_id="other-host:2")

    clock.advance(timedelta(seconds=59))
    assert await worker.drain_once() == DrainCounts()
    clock.advance(timedelta(seconds=1))
    assert await worker.drain_once() == DrainCounts(sent=1)
    assert fake.texts() == ["a1"]


async def test_a_restarted_worker_takes_back_its_own_claims_at_once(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)
    async with session_factory() as session, session.begin():
        await claim_due(
            session, worker="host:a", now=clock.now(), lease=timedelta(hours=1), limit=1, per_chat=1
        )
    worker = worker_for(fake, session_factory, clock, worker_id="host:a")
    assert await worker.drain_once() == DrainCounts(sent=1)


async def test_a_rejected_token_stops_the_worker_and_gives_back_its_claims(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)
    fake.fail(ALICE, InvalidToken())
    with pytest.raises(TokenRejected):
        await worker_for(fake, session_factory, clock).drain_once()
    left = await item(session_factory, "a1")
    assert (left.status, left.claimed_by, left.attempts) == ("pending", None, 0)


async def test_a_failing_hook_does_not_undo_the_delivery(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)

    async def broken(settled: Settled) -> None:
        raise RuntimeError("hook bug")

    worker = worker_for(fake, session_factory, clock, on_settled=broken)
    assert await worker.drain_once() == DrainCounts(sent=1)
    assert (await item(session_factory, "a1")).status == "sent"


class FlakySessions:
    """A session factory that fails the first `failures` times, like a database restarting."""

    def __init__(self, sessions: Sessions, failures: int) -> None:
        self._sessions = sessions
        self._failures = failures

    def __call__(self) -> AsyncSession:
        if self._failures:
            self._failures -= 1
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return self._sessions()


async def test_run_forever_starts_again_after_a_failure(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)
    flaky = cast(Sessions, FlakySessions(session_factory, failures=2))
    worker = worker_for(fake, flaky, clock, poll_interval=0.01)
    running = asyncio.create_task(worker.run_forever())
    await asyncio.wait_for(fake.called.wait(), timeout=30)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert fake.texts() == ["a1"]


async def test_run_forever_stops_on_a_rejected_token(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put(session_factory, "a1", ALICE)
    fake.fail(ALICE, InvalidToken())
    with pytest.raises(TokenRejected):
        await worker_for(fake, session_factory, clock, poll_interval=0.01).run_forever()


async def test_two_workers_send_each_item_once(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    keys = [f"k{n:03}" for n in range(120)]
    for n, key in enumerate(keys):
        await put(session_factory, key, 1000 + n % 40)
    workers = [
        worker_for(fake, session_factory, clock, worker_id=name, batch_size=10, per_chat=2)
        for name in ("host:1", "host:2")
    ]
    counts = await asyncio.gather(*(w.drain_once() for w in workers))
    assert sorted(fake.texts()) == keys
    assert sum(c.sent for c in counts) == len(keys)


async def test_run_forever_is_woken_by_wake_and_gives_back_claims_when_stopped(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    worker = worker_for(fake, session_factory, clock, poll_interval=3600)
    running = asyncio.create_task(worker.run_forever())
    await put(session_factory, "a1", ALICE)
    worker.wake()
    await asyncio.wait_for(fake.called.wait(), timeout=30)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert fake.texts() == ["a1"]
    async with session_factory() as session:
        claimed = await session.scalars(select(OutboxItem).where(OutboxItem.status == "claimed"))
        assert claimed.all() == []


@pytest.mark.parametrize(
    ("make_error", "kind"),
    [
        (lambda: RetryAfter(3), FailureKind.FLOOD),
        (lambda: ChatMigrated(-100), FailureKind.MIGRATED),
        (lambda: Forbidden("bot was kicked from the supergroup chat"), FailureKind.PERMANENT),
        (lambda: BadRequest("chat not found"), FailureKind.PERMANENT),
        (lambda: BadRequest("Message to delete not found"), FailureKind.GONE),
        (lambda: TimedOut(), FailureKind.TRANSIENT),
        (lambda: NetworkError("Internal Server Error"), FailureKind.TRANSIENT),
        (lambda: TypeError("unexpected keyword argument 'txt'"), FailureKind.PERMANENT),
    ],
)
def test_failure_of(make_error: Callable[[], Exception], kind: FailureKind) -> None:
    failure = failure_of(make_error())
    assert failure is not None and failure.kind is kind


async def test_a_rejected_token_stops_the_transport_and_the_unexpected_fails() -> None:
    fake = FakeBot()
    fake.fail(ALICE, InvalidToken())
    with pytest.raises(TokenRejected):
        await BotTransport(cast(Bot, fake)).perform("sendMessage", {"chat_id": ALICE}, None)
    unexpected = failure_of(RuntimeError("PTB bug"))
    assert unexpected.kind is FailureKind.PERMANENT


def test_compact_result_keeps_the_ids() -> None:
    assert compact_result(True) == {"ok": True}
    assert compact_result({"message_id": 7, "text": "long"}) == {"message_id": 7}
    assert compact_result([{"message_id": 1}, {"message_id": 2}]) == {"message_ids": [1, 2]}


# ---- through the test Bot API server, over HTTP, with the real limiter -----------------------


@pytest.fixture
async def server() -> AsyncIterator[BotApiServer]:
    async with BotApiServer() as running:
        yield running


@pytest.fixture
async def ext_bot(server: BotApiServer) -> AsyncIterator[ExtBot[int]]:
    bot: ExtBot[int] = ExtBot(
        server.token, base_url=server.base_url, rate_limiter=ChatRateLimiter()
    )
    async with bot:
        yield bot


async def test_calls_reach_the_server_as_bot_api_json(
    session_factory: Sessions,
    clock: ManualClock,
    server: BotApiServer,
    ext_bot: ExtBot[int],
) -> None:
    alice = server.world.add_user("Alice", started=True)
    group = server.world.add_group("村委会工作群")
    keyboard = {"inline_keyboard": [[{"text": "✅ 收到", "callback_data": "ack:1"}]]}
    notice = {
        "chat_id": group.id,
        "text": "已确认 0/28",
        "reply_markup": keyboard,
        "entities": [{"type": "bold", "offset": 0, "length": 3}],
        "disable_notification": True,
    }
    await put(session_factory, "tally:1", group.id, payload=notice)
    await put(session_factory, "dm:alice", alice.id)
    worker = OutboxWorker(BotTransport(ext_bot), session_factory, clock)
    assert await worker.drain_once() == DrainCounts(sent=2)

    [posted] = server.world.sent_by_bot(server.world.chats[group.id])
    assert (posted.text, posted.reply_markup, posted.disable_notification) == (
        "已确认 0/28",
        keyboard,
        True,
    )
    assert posted.entities == [{"type": "bold", "offset": 0, "length": 3}]
    assert await result_of(session_factory, "tally:1") == {"message_id": posted.message_id}

    edit = {key: notice[key] for key in ("chat_id", "text", "reply_markup", "entities")} | {
        "message_id": posted.message_id
    }
    await put(session_factory, "tally:1:edit", group.id, method="editMessageText", payload=edit)
    delete = {"chat_id": group.id, "message_id": posted.message_id}
    await put(session_factory, "tally:1:del", group.id, method="deleteMessage", payload=delete)
    assert await worker.drain_once() == DrainCounts(sent=2)
    assert await result_of(session_factory, "tally:1:edit") == {"not_modified": True}
    assert posted.deleted
    server.assert_no_violations()


async def test_server_refusals_are_settled_by_kind(
    session_factory: Sessions,
    clock: ManualClock,
    server: BotApiServer,
    ext_bot: ExtBot[int],
) -> None:
    blocked = server.world.add_user("Blocked", started=True)
    server.world.block_bot(blocked)
    flooded = server.world.add_user("Flooded", started=True)
    await put(session_factory, "blocked", blocked.id)
    await put(session_factory, "nowhere", 424242)
    await put(session_factory, "flooded", flooded.id)
    server.inject_fault("sendMessage", "429", retry_after=7)
    worker = OutboxWorker(BotTransport(ext_bot), session_factory, clock, rng=random.Random(1))

    counts = await worker.drain_once()
    assert (counts.sent, counts.failed) == (1, 2) or (counts.retried, counts.failed) == (1, 1)
    flood_victim = [
        key
        for key in ("blocked", "nowhere", "flooded")
        if (await item(session_factory, key)).status == "pending"
    ]
    assert len(flood_victim) == 1
    retried = await item(session_factory, flood_victim[0])
    assert retried.not_before == START + timedelta(seconds=7)
    assert retried.attempts == 0
    limiter = ext_bot.rate_limiter
    assert isinstance(limiter, ChatRateLimiter)
    assert 0 < limiter.budget.paused_for(retried.chat_id, time.monotonic()) <= 7

    failed = {
        key: (await item(session_factory, key)).last_error
        for key in ("blocked", "nowhere")
        if key not in flood_victim
    }
    assert all(
        reason and ("blocked" in reason or "not found" in reason) for reason in failed.values()
    )
    assert server.count_429 == 1


# ---- deletes: lost answers, mixed faults, batches that skip ---------------------------------


def delete_payload(message_id: int) -> dict[str, Any]:
    return {"chat_id": GROUP, "message_id": message_id}


async def put_delete(sessions: Sessions, message_id: int) -> None:
    await put(
        sessions,
        f"del:{message_id}",
        GROUP,
        method="deleteMessage",
        payload=delete_payload(message_id),
    )


async def test_not_found_after_a_lost_answer_means_the_delete_was_done(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    await put_delete(session_factory, 11)
    fake.fail(GROUP, TimedOut(), BadRequest("Bad Request: message to delete not found"))
    worker = worker_for(fake, session_factory, clock)
    assert await worker.drain_once() == DrainCounts(retried=1)
    clock.advance(timedelta(minutes=1))
    assert await worker.drain_once() == DrainCounts(sent=1)
    assert (await item(session_factory, "del:11")).status == "sent"


async def test_not_found_at_a_first_attempt_is_done_too(
    session_factory: Sessions, clock: ManualClock, fake: FakeBot
) -> None:
    """The attempt before may have been made by a process killed before it recorded it."""
    await put_delete(session_factory, 11)
    fake.fail(GROUP, BadRequest("Bad Request: message to delete not found"))
    assert await worker_for(fake, session_factory, clock).drain_once() == DrainCounts(sent=1)


class BlockingBot(FakeBot):
    """Holds its first deleteMessages call until `release` is set, then fails it."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self._error: Exception | None = error

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        if method == "deleteMessages" and self._error is not None:
            error, self._error = self._error, None
            self.calls.append((method, params))
            self.entered.set()
            await self.release.wait()
            raise error
        return await super()._call(method, params)


async def test_a_failed_batch_puts_back_every_item_the_worker_held_for_that_chat(
    session_factory: Sessions, clock: ManualClock
) -> None:
    """An earlier item that fell due while a later batch was in flight is in hand behind it;
    the batch's failure must give it back, not leave it claimed and renewed for ever."""
    fake = BlockingBot(NetworkError("Internal Server Error"))
    await put_delete(session_factory, 1)
    fake.fail(GROUP, RetryAfter(1))
    worker = worker_for(fake, session_factory, clock, poll_interval=3600)
    assert await worker.drain_once() == DrainCounts(retried=1)
    for message_id in (2, 3):
        await put_delete(session_factory, message_id)

    running = asyncio.create_task(worker.run_forever())
    try:
        await asyncio.wait_for(fake.entered.wait(), timeout=30)
        clock.advance(timedelta(seconds=1))
        worker.wake()
        async with asyncio.timeout(30):
            while (await item(session_factory, "del:1")).status != "claimed":  # noqa: ASYNC110
                await asyncio.sleep(0.001)
        fake.release.set()
        # Given back, it is claimed again and sent; left claimed, it would never be.
        async with asyncio.timeout(30):
            while (await item(session_factory, "del:1")).status != "sent":  # noqa: ASYNC110
                await asyncio.sleep(0.001)
        assert ("deleteMessage", delete_payload(1)) in fake.calls
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


class SkippingBot(FakeBot):
    """deleteMessages answers True but skips the messages in `undeletable`, as Telegram does
    with one older than 48 h or after the right was taken away; deleteMessage is exact."""

    def __init__(self, undeletable: set[int]) -> None:
        super().__init__()
        self.undeletable = undeletable
        self.present: set[int] = set(range(1, 100))

    async def _call(self, method: str, params: dict[str, Any]) -> Any:
        if method == "deleteMessages":
            self.calls.append((method, params))
            self.present -= set(params["message_ids"]) - self.undeletable
            return True
        if method == "deleteMessage":
            self.calls.append((method, params))
            message_id = params["message_id"]
            if message_id not in self.present:
                raise BadRequest("Bad Request: message to delete not found")
            if message_id in self.undeletable:
                raise BadRequest("Bad Request: message can't be deleted")
            self.present.discard(message_id)
            return True
        return await super()._call(method, params)


async def test_a_batch_answering_true_is_confirmed_singly_and_a_skipped_delete_fails(
    session_factory: Sessions, clock: ManualClock
) -> None:
    fake = SkippingBot(undeletable={12})
    for message_id in (11, 12, 13):
        await put_delete(session_factory, message_id)
    seen: list[Settled] = []

    async def on_settled(settled: Settled) -> None:
        seen.append(settled)

    worker = worker_for(fake, session_factory, clock, on_settled=on_settled)
    assert await worker.drain_once() == DrainCounts(sent=2, failed=1)
    assert fake.calls[0] == ("deleteMessages", {"chat_id": GROUP, "message_ids": [11, 12, 13]})
    assert [(s.subject_id or int(s.part[4:]), s.sent) for s in seen] == [
        (11, True),
        (12, False),
        (13, True),
    ]
    refused = await item(session_factory, "del:12")
    assert refused.status == "failed" and "can't be deleted" in (refused.last_error or "")
    assert 12 in fake.present and not {11, 13} & fake.present


async def test_a_worker_never_claims_again_what_it_holds_however_late_its_lease(
    session_factory: Sessions, clock: ManualClock
) -> None:
    """It may be sending it right now (waiting on the rate limiter while the database was slow
    to renew, or the clock jumped): only another worker may take over an expired lease."""
    await put(session_factory, "a1", ALICE)

    async def claim(worker: str) -> list[str]:
        async with session_factory() as session, session.begin():
            claimed = await claim_due(
                session,
                worker=worker,
                now=clock.now(),
                lease=timedelta(seconds=60),
                limit=10,
                per_chat=10,
            )
        return [item.part for item in claimed]

    assert await claim("host:a") == ["a1"]
    clock.advance(timedelta(minutes=5))
    assert await claim("host:a") == []
    assert await claim("host:b") == ["a1"]
