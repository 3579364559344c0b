"""The durable outbox: Bot API calls that must happen exactly once, and the worker that drains it.

Callers `enqueue` a call (method + Bot API JSON payload) under an idempotency key inside their
own transaction, so the decision and the message to send commit together; enqueueing the same
key twice is a no-op. `OutboxWorker` claims due items, performs them through the Bot (paced by
its rate limiter, see bot/ratelimit.py) and marks them sent with their result (message ids),
which callers read back with `sent_result` or learn from the `on_sent` hook.

Delivery guarantees:

- Claiming is one statement: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED). On
  PostgreSQL several workers drain one outbox without taking the same item; SQLite ignores the
  locking clause and serialises writers, and the re-checked WHERE makes the claim exact.
- A claim is a lease (`claimed_by`, `claimed_until`) that a running worker keeps renewing. A
  worker that dies leaves its claims to expire; any worker then reclaims them. A worker started
  again under the same `worker_id` takes its own claims back at once (give each instance a
  stable, unique id to restart without waiting for the lease).
- Each item is marked sent in its own short transaction right after Telegram answers. The one
  window for a duplicate is between Telegram performing the call and that commit: a crash (or
  a lost answer, i.e. a timeout, which is retried) inside it sends the item again. Outside it,
  a pending or claimed item has not been performed, so a restart sends it exactly once.
- Within one worker a chat's items go out one at a time, in the order they fall due (by id
  among those due together); when one must wait (429 or a transient error), the chat's later
  items wait behind it. Across workers the order of one chat's items is kept only as far as
  their claims do not interleave.
- 429 reschedules after retry_after without using an attempt; 5xx, network errors and
  timeouts back off exponentially with jitter up to `max_attempts`, then fail; permanent
  errors (blocked, kicked, chat not found, message to delete not found, a malformed call)
  fail at once with the reason in `last_error`. A group that became a supergroup is followed.
- Consecutive deletes in a chat are sent as one deleteMessages call (up to 100 ids).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Integer, and_, bindparam, case, func, or_, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.edge.sender import Failure, FailureKind, classify, perform
from bot.platform.clock import Clock
from bot.platform.storage.models import OutboxItem, OutboxStatus
from bot.platform.storage.upsert import insert_ignore

log = logging.getLogger(__name__)

JSONObject = dict[str, Any]
DELETE_METHODS = frozenset({"deleteMessage", "deleteMessages"})
DELETE_BATCH_LIMIT = 100
KEY_MAX_LENGTH = 200
METHOD_MAX_LENGTH = 40
WORKER_ID_MAX_LENGTH = 64


# ---- repository -----------------------------------------------------------------------------


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    method: str,
    payload: JSONObject,
    not_before: datetime,
    now: datetime | None = None,
) -> bool:
    """Add a call to the outbox unless `key` is already there; True when it was added.

    `method` is the Bot API name (sendMessage), `payload` its JSON parameters. `now` is the
    creation time (default: `not_before`). The caller commits, then calls
    `OutboxWorker.wake()` so that the item goes out without waiting for the next poll.
    """
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError(f"outbox key must be 1-{KEY_MAX_LENGTH} characters: {key!r}")
    if len(method) > METHOD_MAX_LENGTH:
        raise ValueError(f"outbox method name longer than {METHOD_MAX_LENGTH}: {method!r}")
    values = {
        "idempotency_key": key,
        "chat_id": chat_id,
        "method": method,
        "payload": payload,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "not_before": not_before,
        "created_at": now or not_before,
    }
    return await insert_ignore(session, OutboxItem, values, keys=["idempotency_key"])


def delete_key(prefix: str, chat_id: int, message_id: int) -> str:
    """The idempotency key of one message's delete."""
    return f"{prefix}:{chat_id}:{message_id}"


async def enqueue_delete(
    session: AsyncSession,
    *,
    prefix: str,
    chat_id: int,
    message_id: int,
    not_before: datetime,
    now: datetime | None = None,
) -> bool:
    """Delete one message under the key "prefix:chat:message" (the worker batches neighbours)."""
    return await enqueue(
        session,
        key=delete_key(prefix, chat_id, message_id),
        chat_id=chat_id,
        method="deleteMessage",
        payload={"chat_id": chat_id, "message_id": message_id},
        not_before=not_before,
        now=now,
    )


async def find_item(session: AsyncSession, key: str) -> OutboxItem | None:
    found: OutboxItem | None = await session.scalar(
        select(OutboxItem).where(OutboxItem.idempotency_key == key)
    )
    return found


async def sent_result(session: AsyncSession, key: str) -> JSONObject | None:
    """What Telegram answered for a sent item ({"message_id": ...}); None until it is sent."""
    result: JSONObject | None = await session.scalar(
        select(OutboxItem.result).where(
            OutboxItem.idempotency_key == key, OutboxItem.status == OutboxStatus.SENT.value
        )
    )
    return result


@dataclass(frozen=True)
class Claimed:
    """An item a worker holds the lease of."""

    id: int
    key: str
    chat_id: int
    method: str
    payload: JSONObject
    attempts: int
    not_before: datetime


def _due(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    return or_(
        and_(OutboxItem.status == OutboxStatus.PENDING.value, OutboxItem.not_before <= now),
        and_(OutboxItem.status == OutboxStatus.CLAIMED.value, OutboxItem.claimed_until <= now),
    )


def _mine(worker: str | BindParameter[str]) -> ColumnElement[bool]:
    return and_(OutboxItem.status == OutboxStatus.CLAIMED.value, OutboxItem.claimed_by == worker)


async def claim_due(
    session: AsyncSession,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    per_chat: int,
    skip_chats: Collection[int] = (),
) -> list[Claimed]:
    """Claim up to `limit` due items (at most `per_chat` of one chat), ordered by chat and id.

    Due: pending with not_before reached, or claimed under an expired lease. `skip_chats`
    are chats whose items this worker is still sending, so their order is kept.
    """
    parameters = {
        "now": now,
        "until": now + lease,
        "worker": worker,
        "per_chat": per_chat,
        "limit": limit,
        "skip_chats": list(skip_chats),
    }
    statement = _claim_statement()
    rows = (await session.execute(statement, parameters)).all()
    claimed = [Claimed(*row) for row in rows]
    return sorted(claimed, key=lambda item: (item.chat_id, item.id))


@lru_cache(maxsize=1)
def _claim_statement() -> Any:
    """claim_due's statement, built once; its figures are parameters (building it costs more
    than running it)."""
    now = bindparam("now", type_=OutboxItem.not_before.type)
    due = _due(now)
    rank = func.row_number().over(partition_by=OutboxItem.chat_id, order_by=OutboxItem.id)
    first_of_each_chat = (
        select(OutboxItem.id, rank.label("rank"))
        .where(due, OutboxItem.chat_id.not_in(bindparam("skip_chats", expanding=True)))
        .subquery()
    )
    chosen = (
        select(OutboxItem.id)
        .where(
            OutboxItem.id.in_(
                select(first_of_each_chat.c.id).where(
                    first_of_each_chat.c.rank <= bindparam("per_chat", type_=Integer)
                )
            )
        )
        .order_by(OutboxItem.not_before, OutboxItem.id)
        .limit(bindparam("limit", type_=Integer))
        .with_for_update(skip_locked=True)
    )
    return (
        update(OutboxItem)
        .where(OutboxItem.id.in_(chosen.scalar_subquery()), due)
        .values(
            status=OutboxStatus.CLAIMED.value,
            claimed_by=bindparam("worker"),
            claimed_until=bindparam("until", type_=OutboxItem.claimed_until.type),
        )
        .returning(
            OutboxItem.id,
            OutboxItem.idempotency_key,
            OutboxItem.chat_id,
            OutboxItem.method,
            OutboxItem.payload,
            OutboxItem.attempts,
            OutboxItem.not_before,
        )
        .execution_options(synchronize_session=False)
    )


async def extend_leases(session: AsyncSession, *, worker: str, until: datetime) -> int:
    """Renew every lease `worker` holds; the number renewed."""
    result = await session.execute(
        update(OutboxItem)
        .where(_mine(worker))
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


async def release_claims(session: AsyncSession, *, worker: str) -> int:
    """Give back every claim of `worker` (after its crash, or at its stop); the number."""
    result = await session.execute(
        update(OutboxItem)
        .where(_mine(worker))
        .values(status=OutboxStatus.PENDING.value, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


async def mark_sent(
    session: AsyncSession, ids: Sequence[int], *, worker: str, result: JSONObject, now: datetime
) -> int:
    """Record items as sent with Telegram's answer; the number still held by `worker`."""
    parameters = {"ids": list(ids), "worker": worker, "result": result, "now": now}
    return _rowcount(await session.execute(_MARK_SENT, parameters))


# Built once, like claim_due's: every sent item runs it.
_MARK_SENT = (
    update(OutboxItem)
    .where(OutboxItem.id.in_(bindparam("ids", expanding=True)), _mine(bindparam("worker")))
    .values(
        status=OutboxStatus.SENT.value,
        result=bindparam("result", type_=OutboxItem.result.type),
        sent_at=bindparam("now", type_=OutboxItem.sent_at.type),
        claimed_by=None,
        claimed_until=None,
        last_error=None,
    )
    .execution_options(synchronize_session=False)
)


async def mark_failed(
    session: AsyncSession, ids: Sequence[int], *, worker: str, reason: str, attempts: int | None
) -> None:
    """Give up on items for good, keeping the reason."""
    values: dict[str, Any] = {
        "status": OutboxStatus.FAILED.value,
        "last_error": reason,
        "claimed_by": None,
        "claimed_until": None,
    }
    if attempts is not None:
        values["attempts"] = attempts
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(ids), _mine(worker))
        .values(values)
        .execution_options(synchronize_session=False)
    )


async def reschedule(
    session: AsyncSession,
    item: Claimed,
    *,
    worker: str,
    not_before: datetime,
    reason: str,
) -> None:
    """Put a claimed item back to pending, due at `not_before`, with its chat and attempts."""
    await session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item.id, _mine(worker))
        .values(
            status=OutboxStatus.PENDING.value,
            claimed_by=None,
            claimed_until=None,
            not_before=not_before,
            attempts=item.attempts,
            chat_id=item.chat_id,
            payload=item.payload,
            last_error=reason,
        )
        .execution_options(synchronize_session=False)
    )


async def hold_chat(
    session: AsyncSession, *, chat_id: int, after_id: int, worker: str, until: datetime
) -> None:
    """Keep a chat's items after `after_id` (pending, or claimed by `worker`) from going first.

    They become pending and due no earlier than `until`, when the item they follow is due.
    """
    later = case((OutboxItem.not_before < until, until), else_=OutboxItem.not_before)
    await session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.chat_id == chat_id,
            OutboxItem.id > after_id,
            or_(OutboxItem.status == OutboxStatus.PENDING.value, _mine(worker)),
        )
        .values(
            status=OutboxStatus.PENDING.value,
            claimed_by=None,
            claimed_until=None,
            not_before=later,
        )
        .execution_options(synchronize_session=False)
    )


def _rowcount(result: Result[Any]) -> int:
    return cast(CursorResult[Any], result).rowcount


# ---- worker ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentItem:
    key: str
    chat_id: int
    method: str
    result: JSONObject


SentHook = Callable[[SentItem], Awaitable[None]]


@dataclass(frozen=True)
class FailedItem:
    """An item given up for good (a permanent error, or out of attempts), with the reason."""

    key: str
    chat_id: int
    method: str
    payload: JSONObject
    reason: str


FailedHook = Callable[[FailedItem], Awaitable[None]]


@dataclass
class DrainCounts:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[-WORKER_ID_MAX_LENGTH:]


class _InHand:
    """The items a pump has claimed and not yet settled: one queue per chat, in id order."""

    def __init__(self, capacity: int, per_chat: int) -> None:
        self.queues: dict[int, deque[Claimed]] = {}
        self.low = asyncio.Event()
        """Set when half the capacity is free again: time to claim more."""
        self._count = 0
        self._capacity = capacity
        self._per_chat = per_chat

    def room(self) -> int:
        """How many to claim now: none while more than half the capacity is in hand."""
        return 0 if self._count > self._capacity // 2 else self._capacity - self._count

    def full_chats(self) -> list[int]:
        return [chat for chat, queue in self.queues.items() if len(queue) >= self._per_chat]

    def add(self, items: Iterable[Claimed]) -> None:
        for item in items:
            self.queues.setdefault(item.chat_id, deque()).append(item)
            self._count += 1

    def next_call(self, chat_id: int) -> tuple[list[Claimed], str, JSONObject] | None:
        queue = self.queues.get(chat_id)
        if not queue:
            return None
        call = _next_call(queue)
        self._settled(len(call[0]))
        return call

    def drop(self, chat_id: int) -> list[Claimed]:
        """Take the rest of a chat's queue out of hand (its items were put back in the table)."""
        rest = list(self.queues.get(chat_id, ()))
        self.queues.get(chat_id, deque()).clear()
        self._settled(len(rest))
        return rest

    def forget_if_empty(self, chat_id: int) -> None:
        if not self.queues.get(chat_id):
            self.queues.pop(chat_id, None)

    def _settled(self, count: int) -> None:
        self._count -= count
        if self.room():
            self.low.set()


class OutboxWorker:
    """Drains the outbox through `bot`; pacing comes from the bot's rate limiter.

    Give it the Application's bot (an ExtBot built with `ChatRateLimiter`), so that the
    outbox and the handlers' direct replies share one budget. It holds up to `batch_size`
    claimed items, at most about `per_chat` of one chat, and claims more when half are done.
    Woken, it waits `gather` seconds before claiming, for what is enqueued right after.
    """

    def __init__(
        self,
        bot: Bot,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        *,
        worker_id: str | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch_size: int = 400,
        per_chat: int = 20,
        concurrency: int = 64,
        max_attempts: int = 8,
        backoff: timedelta = timedelta(seconds=2),
        max_backoff: timedelta = timedelta(minutes=10),
        poll_interval: float = 5.0,
        gather: float = 0.02,
        on_sent: SentHook | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.worker_id = (worker_id or default_worker_id())[:WORKER_ID_MAX_LENGTH]
        self._bot = bot
        self._sessions = sessions
        self._clock = clock
        self._lease = lease
        self._batch_size = batch_size
        self._per_chat = min(per_chat, batch_size)
        self._slots = asyncio.Semaphore(concurrency)
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._poll_interval = poll_interval
        self._gather = gather
        self._on_sent = on_sent
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()
        # Features that must react when an item fails (e.g. a hold whose delete was refused).
        self.failed_hooks: list[FailedHook] = []
        # Claiming and putting a chat's items back must not interleave, or an item claimed
        # meanwhile could be sent after the table had it pending again.
        self._claims = asyncio.Lock()

    def wake(self) -> None:
        """Something was enqueued: look for due items now rather than at the next poll."""
        self._wakeup.set()

    async def drain_once(self) -> DrainCounts:
        """Send what is due by the clock until nothing is; return what happened.

        Items rescheduled for later (retries, 429) stay pending for a later drain. One pump
        per worker at a time: a pump starts by taking back the worker's own claims.
        """
        return await self._pump(until_idle=True)

    async def run_forever(self) -> None:
        """Drain continuously until cancelled, woken by `wake()` or every `poll_interval`.

        A failure (the database gone for a moment, a bug in one call) is logged and the pump
        starts again after `poll_interval`; only a token Telegram refuses stops it.
        """
        while True:
            try:
                await self._pump(until_idle=False)
            except InvalidToken:
                raise
            except Exception:
                log.exception("outbox: the worker failed; starting again")
            await asyncio.sleep(self._poll_interval)

    # ---- the pump -----------------------------------------------------------------------

    async def _pump(self, *, until_idle: bool) -> DrainCounts:
        counts = DrainCounts()
        hand = _InHand(self._batch_size, self._per_chat)
        tasks: dict[int, asyncio.Task[None]] = {}
        recovered = await self._transact(release_claims, worker=self.worker_id)
        if recovered:
            log.info("outbox: took back %d items claimed before a restart", recovered)
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            while True:
                if self._wakeup.is_set() and not until_idle:
                    # What is enqueued right after comes along: a burst of holds is deleted
                    # by one deleteMessages call, not one call (and two transactions) each.
                    await asyncio.sleep(self._gather)
                self._wakeup.clear()
                hand.low.clear()
                wanted = hand.room()
                claimed = await self._claim(hand, wanted) if wanted else 0
                for chat_id, queue in hand.queues.items():
                    if queue and chat_id not in tasks:
                        tasks[chat_id] = asyncio.create_task(
                            self._drain_chat(chat_id, hand, counts)
                        )
                if until_idle and not tasks and not claimed:
                    return counts
                # When a claim got less than it asked for, nothing more is due until a chat
                # is done, a wake-up or the next poll.
                more_due = wanted == 0 or claimed == wanted
                await self._wait(tasks, hand, watch_low=more_due, until_idle=until_idle)
        finally:
            heartbeat.cancel()
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(heartbeat, *tasks.values(), return_exceptions=True)
            released = await self._transact(release_claims, worker=self.worker_id)
            if released:
                log.info("outbox: gave back %d claimed items on stopping", released)

    async def _claim(self, hand: _InHand, wanted: int) -> int:
        async with self._claims:
            claimed: list[Claimed] = await self._transact(
                claim_due,
                worker=self.worker_id,
                now=self._clock.now(),
                lease=self._lease,
                limit=wanted,
                per_chat=self._per_chat,
                skip_chats=hand.full_chats(),
            )
            hand.add(claimed)
        return len(claimed)

    async def _wait(
        self,
        tasks: dict[int, asyncio.Task[None]],
        hand: _InHand,
        *,
        watch_low: bool,
        until_idle: bool,
    ) -> None:
        """Until a chat is done (its errors raised), room to claim, a wake-up or a poll."""
        signals: list[asyncio.Future[Any]] = []
        if watch_low:
            signals.append(asyncio.ensure_future(hand.low.wait()))
        if not until_idle:
            signals.append(asyncio.ensure_future(self._wakeup.wait()))
        try:
            await asyncio.wait(
                {*tasks.values(), *signals},
                timeout=None if until_idle else self._poll_interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for signal in signals:
                signal.cancel()
        for chat_id, task in list(tasks.items()):
            if task.done():
                del tasks[chat_id]
                hand.forget_if_empty(chat_id)
                task.result()

    async def _heartbeat(self) -> None:
        interval = self._lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            await self._transact(
                extend_leases, worker=self.worker_id, until=self._clock.now() + self._lease
            )

    async def _transact(
        self, operation: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> Any:
        """Run one repository operation in a transaction of its own."""
        async with self._sessions() as session, session.begin():
            return await operation(session, *args, **kwargs)

    # ---- one chat ---------------------------------------------------------------------

    async def _drain_chat(self, chat_id: int, hand: _InHand, counts: DrainCounts) -> None:
        while (call := hand.next_call(chat_id)) is not None:
            batch, method, payload = call
            async with self._slots:
                try:
                    result = await perform(self._bot, method, payload)
                except Exception as error:
                    failure = classify(error)
                    if failure is None:
                        raise
                    if not isinstance(error, TelegramError):
                        log.exception("outbox: %s failed unexpectedly", batch[0].key)
                    await self._settle_failure(batch, failure, hand, counts)
                    continue
            await self._settle_sent(batch, result, counts)

    async def _settle_sent(
        self, batch: list[Claimed], result: JSONObject, counts: DrainCounts
    ) -> None:
        marked = await self._transact(
            mark_sent,
            [item.id for item in batch],
            worker=self.worker_id,
            result=result,
            now=self._clock.now(),
        )
        if marked < len(batch):
            log.warning(
                "outbox: %d of %d sent items had lost their lease; another worker may resend",
                len(batch) - marked,
                len(batch),
            )
        counts.sent += len(batch)
        if self._on_sent is None:
            return
        for item in batch:
            try:
                await self._on_sent(SentItem(item.key, item.chat_id, item.method, result))
            except Exception:
                log.exception("outbox: on_sent hook failed for %s", item.key)

    async def _settle_failure(
        self, batch: list[Claimed], failure: Failure, hand: _InHand, counts: DrainCounts
    ) -> None:
        if failure.kind is FailureKind.PERMANENT:
            log.warning("outbox: %s failed: %s", [i.key for i in batch], failure.reason)
            await self._transact(
                mark_failed,
                [item.id for item in batch],
                worker=self.worker_id,
                reason=failure.reason,
                attempts=None,
            )
            counts.failed += len(batch)
            await self._notify_failed(batch, failure.reason)
            return
        chat_id = batch[0].chat_id
        async with self._claims:
            now = self._clock.now()
            if failure.kind is FailureKind.MIGRATED and failure.new_chat_id is not None:
                moved = [_moved(item, failure.new_chat_id) for item in batch]
                moved += [_moved(item, failure.new_chat_id) for item in hand.drop(chat_id)]
                await self._transact(self._requeue, moved, now=now, reason=failure.reason)
                counts.retried += len(batch)
                return
            retry, give_up = self._retry_plan(batch, failure, now)
            async with self._sessions() as session, session.begin():
                for item in retry:
                    await reschedule(
                        session,
                        item,
                        worker=self.worker_id,
                        not_before=item.not_before,
                        reason=failure.reason,
                    )
                for item in give_up:
                    await mark_failed(
                        session,
                        [item.id],
                        worker=self.worker_id,
                        reason=f"gave up after {item.attempts} attempts: {failure.reason}",
                        attempts=item.attempts,
                    )
                if retry:
                    # The chat's later items must not overtake the one that waits.
                    await hold_chat(
                        session,
                        chat_id=chat_id,
                        after_id=min(item.id for item in retry),
                        worker=self.worker_id,
                        until=max(item.not_before for item in retry),
                    )
            if retry:
                hand.drop(chat_id)
        counts.retried += len(retry)
        counts.failed += len(give_up)
        await self._notify_failed(give_up, failure.reason)

    async def _notify_failed(self, items: list[Claimed], reason: str) -> None:
        for item in items:
            failed = FailedItem(item.key, item.chat_id, item.method, item.payload, reason)
            for hook in self.failed_hooks:
                try:
                    await hook(failed)
                except Exception:
                    log.exception("outbox: failure hook failed for %s", item.key)

    def _retry_plan(
        self, batch: list[Claimed], failure: Failure, now: datetime
    ) -> tuple[list[Claimed], list[Claimed]]:
        """The items to try again (with their new time and attempts) and those to give up."""
        if failure.kind is FailureKind.FLOOD:
            due = now + timedelta(seconds=max(failure.retry_after, 1.0))
            return [replace(item, not_before=due) for item in batch], []
        retry, give_up = [], []
        for item in batch:
            attempts = item.attempts + 1
            if attempts >= self._max_attempts:
                give_up.append(replace(item, attempts=attempts))
            else:
                due = now + self._backoff_after(attempts)
                retry.append(replace(item, attempts=attempts, not_before=due))
        return retry, give_up

    def _backoff_after(self, attempts: int) -> timedelta:
        """Exponential in the attempts made, capped, with jitter so that retries spread."""
        ceiling: timedelta = min(self._max_backoff, self._backoff * 2 ** (attempts - 1))
        jitter = 0.5 + 0.5 * self._rng.random()
        return ceiling * jitter

    async def _requeue(
        self, session: AsyncSession, items: Iterable[Claimed], *, now: datetime, reason: str
    ) -> None:
        for item in items:
            await reschedule(session, item, worker=self.worker_id, not_before=now, reason=reason)


def _moved(item: Claimed, chat_id: int) -> Claimed:
    return replace(item, chat_id=chat_id, payload={**item.payload, "chat_id": chat_id})


def _next_call(queue: deque[Claimed]) -> tuple[list[Claimed], str, JSONObject]:
    """The items the next request covers: one item, or a run of deletes as deleteMessages."""
    first = queue.popleft()
    if first.method not in DELETE_METHODS:
        return [first], first.method, first.payload
    batch, ids = [first], _deleted_ids(first)
    while queue and queue[0].method in DELETE_METHODS:
        more = _deleted_ids(queue[0])
        if len(set(ids) | set(more)) > DELETE_BATCH_LIMIT:
            break
        batch.append(queue.popleft())
        ids.extend(more)
    if len(batch) == 1:
        return batch, first.method, first.payload
    unique = sorted(set(ids))
    return batch, "deleteMessages", {"chat_id": first.chat_id, "message_ids": unique}


def _deleted_ids(item: Claimed) -> list[int]:
    if item.method == "deleteMessage":
        return [int(item.payload["message_id"])]
    return [int(i) for i in item.payload["message_ids"]]
