"""Live messages kept current with few edits: tallies and roll-call lists, coalesced per chat.

A press or an absorbed reply only marks its tally (or list) dirty in the database. `flush`
edits at most one live message per chat per EDIT_INTERVAL: it clears the mark and queues the
edit in the outbox in one transaction, so a crash leaves either a dirty mark (flushed at the
next start) or a queued edit (sent by the outbox), never a wrong count for good.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update
from telegram.ext import JobQueue

from bot import acks, rollcalls
from bot.context import JianfuContext, Services
from bot.platform import outbox
from bot.platform.outbox import SentHook, SentItem
from bot.platform.storage.models import AckRequest, Rollcall

EDIT_INTERVAL = timedelta(seconds=5)
EDIT_KEY = "liveedit"
FLUSH_JOB = "live-messages:flush"


@dataclass(frozen=True, slots=True)
class _Dirty:
    chat_id: int
    edited_at: datetime | None
    payload: Callable[[AsyncSession, Services], Awaitable[dict[str, Any]]]
    mark_clean: Update  # clears the dirty mark and stamps the edit's time


async def flush(services: Services) -> datetime | None:
    """Queue the edits due now, one per chat; when the next one will be due, if any."""
    now = services.clock.now()
    next_due: datetime | None = None
    async with services.sessions() as session:
        dirty = await _dirty(session, now)
        for chat_id in sorted({d.chat_id for d in dirty}):
            waiting = sorted(
                (d for d in dirty if d.chat_id == chat_id),
                key=lambda d: (d.edited_at is not None, d.edited_at),
            )
            last = await _last_edit(session, chat_id)
            due = now if last is None else max(now, last + EDIT_INTERVAL)
            if due <= now:
                first = waiting.pop(0)
                payload = await first.payload(session, services)
                await outbox.enqueue(
                    session,
                    key=f"{EDIT_KEY}:{chat_id}:{payload['message_id']}:{now.timestamp():.3f}",
                    chat_id=chat_id,
                    method="editMessageText",
                    payload=payload,
                    not_before=now,
                )
                await session.execute(first.mark_clean)
                due = now + EDIT_INTERVAL
            if waiting:
                next_due = due if next_due is None else min(next_due, due)
        await session.commit()
    services.outbox.wake()
    return next_due


async def _dirty(session: AsyncSession, now: datetime) -> list[_Dirty]:
    """Every dirty live message whose id is known, rows locked against a concurrent flush."""
    found: list[_Dirty] = []
    requests: Sequence[AckRequest] = (
        await session.scalars(
            select(AckRequest)
            .where(AckRequest.tally_dirty.is_(True), AckRequest.bot_message_id.is_not(None))
            .with_for_update()
        )
    ).all()
    for request in requests:
        found.append(
            _Dirty(
                request.chat_id,
                request.tally_edited_at,
                partial(acks.tally_edit, request=request),
                update(AckRequest)
                .where(AckRequest.id == request.id)
                .values(tally_dirty=False, tally_edited_at=now),
            )
        )
    lists: Sequence[Rollcall] = (
        await session.scalars(
            select(Rollcall)
            .where(Rollcall.list_dirty.is_(True), Rollcall.bot_message_id.is_not(None))
            .with_for_update()
        )
    ).all()
    for rollcall in lists:
        found.append(
            _Dirty(
                rollcall.chat_id,
                rollcall.list_edited_at,
                partial(rollcalls.list_edit, rollcall=rollcall),
                update(Rollcall)
                .where(Rollcall.id == rollcall.id)
                .values(list_dirty=False, list_edited_at=now),
            )
        )
    return found


async def _last_edit(session: AsyncSession, chat_id: int) -> datetime | None:
    """When any live message of the chat was last edited (the per-chat pace)."""
    times = [
        await session.scalar(
            select(func.max(AckRequest.tally_edited_at)).where(AckRequest.chat_id == chat_id)
        ),
        await session.scalar(
            select(func.max(Rollcall.list_edited_at)).where(Rollcall.chat_id == chat_id)
        ),
    ]
    known = [t for t in times if t is not None]
    return max(known, default=None)


def sent_hook(services: Services) -> SentHook:
    """Pace from when an edit reached Telegram, not when it was queued: a queued edit may wait."""

    async def on_sent(item: SentItem) -> None:
        _, chat_id, message_id, _ = item.key.split(":", 3)
        sent_at = services.clock.now()
        async with services.sessions() as session:
            for model, column in (
                (AckRequest, AckRequest.tally_edited_at),
                (Rollcall, Rollcall.list_edited_at),
            ):
                await session.execute(
                    update(model)
                    .where(
                        model.chat_id == int(chat_id),
                        model.bot_message_id == int(message_id),
                    )
                    .values({column: sent_at})
                )
            await session.commit()

    return on_sent


async def flush_and_arm(context: JianfuContext) -> None:
    """Flush now, and wake up again when the next coalesced edit is due."""
    next_due = await flush(context.services)
    if next_due is not None and context.job_queue is not None:
        arm(context.job_queue, context.services, next_due)


def arm(job_queue: JobQueue[Any], services: Services, due: datetime) -> None:
    """One pending wake-up is enough: the flush it runs arms the next."""
    if job_queue.get_jobs_by_name(FLUSH_JOB):
        return
    delay = max((due - services.clock.now()).total_seconds(), 0.0)
    job_queue.run_once(flush_and_arm, when=delay, name=FLUSH_JOB)
