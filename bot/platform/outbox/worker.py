"""The outbox worker: claims due items, performs them through a transport, settles them.

See bot/platform/outbox/__init__.py for what it guarantees.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import Clock
from bot.platform.outbox.items import (
    DELETE_METHODS,
    CallFailed,
    Failure,
    FailureKind,
    JSONObject,
    Result,
    ResultHandler,
    Settled,
    TokenRejected,
    Transport,
)
from bot.platform.outbox.store import (
    Claimed,
    claim_due,
    extend_leases,
    hold_chat,
    mark_failed,
    mark_sent,
    release_claims,
    reschedule,
)

log = logging.getLogger(__name__)


class NotLeading(Exception):
    """This instance may no longer send: it stopped leading."""


DELETE_BATCH_LIMIT = 100
DELETED = {"ok": True}
"""The answer stored for a delete that is done."""
_FINAL = (FailureKind.PERMANENT, FailureKind.GONE)
WORKER_ID_MAX_LENGTH = 64


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

    Give it a transport over the Application's bot (built with `ChatRateLimiter`), so that the
    outbox and the handlers' direct replies share one budget. It holds up to `batch_size`
    claimed items, at most about `per_chat` of one chat, and claims more when half are done.
    Woken, it claims at once: what one transaction enqueued (a batch of updates' holds) is
    there together, and a run of one chat's deletes goes out as one deleteMessages call.
    """

    def __init__(
        self,
        transport: Transport,
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
        on_settled: ResultHandler | None = None,
        may_send: Callable[[], bool] = lambda: True,
        rng: random.Random | None = None,
    ) -> None:
        self.worker_id = (worker_id or default_worker_id())[:WORKER_ID_MAX_LENGTH]
        self._transport = transport
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
        self._on_settled = on_settled
        self._may_send = may_send
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()
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
            except TokenRejected:
                raise
            except NotLeading:
                log.info("outbox: this instance no longer leads; it sends nothing more")
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
                self._wakeup.clear()
                hand.low.clear()
                if not self._may_send():
                    raise NotLeading
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
            # A delete "not found" is done: an earlier attempt whose answer was lost, or whose
            # process died before recording it, did it (or someone else did).
            done_if_gone = method in DELETE_METHODS
            try:
                result = await self._call(batch, method, payload, done_if_gone=done_if_gone)
            except CallFailed as error:
                await self._settle_failure(batch, error.failure, hand, counts)
                continue
            if method == "deleteMessages":
                await self._confirm_deleted(batch, hand, counts)
            else:
                await self._settle_sent(batch, result, counts)

    async def _call(
        self, batch: list[Claimed], method: str, payload: JSONObject, *, done_if_gone: bool
    ) -> JSONObject:
        """Perform one call for `batch`: Telegram's answer, or CallFailed (a bug in one call
        must not stop the others: it fails for good, loudly). With `done_if_gone`, "message to
        delete not found" answers that the delete is done."""
        if not self._may_send():
            # No longer the leader (its work is being stopped): another instance sends it.
            raise NotLeading
        async with self._slots:
            try:
                return await self._transport.perform(method, payload, batch[0].file)
            except CallFailed as error:
                if done_if_gone and error.failure.kind is FailureKind.GONE:
                    return dict(DELETED)
                raise
            except TokenRejected:
                raise
            except Exception as error:
                log.exception("outbox: %s failed unexpectedly", _keys(batch))
                failure = Failure(FailureKind.PERMANENT, f"unexpected error: {error!r}")
                raise CallFailed(failure) from error

    async def _confirm_deleted(
        self, batch: list[Claimed], hand: _InHand, counts: DrainCounts
    ) -> None:
        """deleteMessages answers True even when it skipped a message (older than 48 h, the
        right just taken away). Each item is deleted again singly, which answers exactly:
        "not found" is the batch's work, True one it skipped and is now done, and a refusal
        fails that item. One not confirmed yet waits with the rest, to be sent again."""
        for index, item in enumerate(batch):
            try:
                for message_id in _deleted_ids(item):
                    single = {"chat_id": item.payload["chat_id"], "message_id": message_id}
                    await self._call([item], "deleteMessage", single, done_if_gone=True)
            except CallFailed as error:
                if error.failure.kind in _FINAL:
                    await self._settle_failure([item], error.failure, hand, counts)
                    continue
                await self._settle_failure(batch[index:], error.failure, hand, counts)
                return
            await self._settle_sent([item], dict(DELETED), counts)

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
        await self._tell(batch, Result.SENT, answer=result)

    async def _settle_failure(
        self, batch: list[Claimed], failure: Failure, hand: _InHand, counts: DrainCounts
    ) -> None:
        if failure.kind in _FINAL:
            log.warning("outbox: %s failed: %s", _keys(batch), failure.reason)
            await self._transact(
                mark_failed,
                [item.id for item in batch],
                worker=self.worker_id,
                reason=failure.reason,
                attempts=None,
            )
            counts.failed += len(batch)
            await self._tell(batch, Result.FAILED, reason=failure.reason)
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
            # The chat's items in hand go back too, whatever their place (one that fell due
            # late is behind later ones): none stays claimed with nobody sending it.
            rest = hand.drop(chat_id) if retry else []
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
                    await release_claims(
                        session, worker=self.worker_id, ids=[item.id for item in rest]
                    )
        counts.retried += len(retry)
        counts.failed += len(give_up)
        await self._tell(give_up, Result.FAILED, reason=failure.reason)

    async def _tell(
        self,
        items: list[Claimed],
        result: Result,
        *,
        answer: JSONObject | None = None,
        reason: str = "",
    ) -> None:
        """Let each item's feature know how it ended; a failing handler is logged, not fatal."""
        if self._on_settled is None:
            return
        for item in items:
            settled = Settled(
                item.kind,
                item.chat_id,
                item.subject_id,
                item.part,
                item.method,
                item.payload,
                result,
                answer or {},
                reason,
            )
            try:
                await self._on_settled(settled)
            except Exception:
                log.exception("outbox: the result handler failed for %s", _keys([item]))

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


def _keys(items: Iterable[Claimed]) -> list[str]:
    return [f"{item.kind}:{item.chat_id}:{item.subject_id}:{item.part}" for item in items]
