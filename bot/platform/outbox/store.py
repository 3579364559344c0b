"""The outbox table: enqueueing inside a caller's transaction, and the worker's claims on it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Integer, and_, bindparam, case, func, or_, select, update
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from bot.platform.outbox.items import JSONObject, Outgoing, OutgoingFile
from bot.platform.storage.deferred import insert_later
from bot.platform.storage.models import OutboxFile, OutboxItem, OutboxStatus
from bot.platform.storage.upsert import insert_ignore


async def enqueue(
    session: AsyncSession, item: Outgoing, *, not_before: datetime, now: datetime | None = None
) -> bool:
    """Add a call to the outbox unless its key is there already; True when it was added.

    `now` is the creation time (default: `not_before`). The caller commits, then wakes the
    worker so that the item goes out without waiting for the next poll.
    """
    item.check()
    values = _values(item, not_before, now)
    added = await insert_ignore(session, OutboxItem, values, keys=["idempotency_key"])
    if added and item.file is not None:
        item_id = await session.scalar(
            select(OutboxItem.id).where(OutboxItem.idempotency_key == item.key)
        )
        file = item.file
        session.add(
            OutboxFile(
                outbox_id=item_id,
                field=file.parameter,
                filename=file.filename,
                mime_type=file.mime_type,
                content=file.content,
            )
        )
    return added


def enqueue_later(
    session: AsyncSession, item: Outgoing, *, not_before: datetime, now: datetime | None = None
) -> None:
    """enqueue, for an item without a file whose insertion nobody waits on: it is sent to the
    database with the session's next read or at its commit (storage.deferred)."""
    item.check()
    if item.file is not None:
        raise ValueError("an item with a file is enqueued at once: its file needs its id")
    insert_later(session, OutboxItem, _values(item, not_before, now), keys=["idempotency_key"])


def _values(item: Outgoing, not_before: datetime, now: datetime | None) -> dict[str, object]:
    return {
        "idempotency_key": item.key,
        "kind": item.kind,
        "subject_id": item.subject_id,
        "part": item.part,
        "chat_id": item.chat_id,
        "method": item.method,
        "payload": item.payload,
        "has_file": item.file is not None,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "not_before": not_before,
        "created_at": now or not_before,
    }


async def sent_answer(
    session: AsyncSession, kind: str, chat_id: int, subject_id: int | None, part: str = ""
) -> JSONObject | None:
    """What Telegram answered for a sent item ({"message_id": ...}); None until it is sent."""
    key = Outgoing(kind, chat_id, "", {}, subject_id, part).key
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
    kind: str
    subject_id: int | None
    part: str
    chat_id: int
    method: str
    payload: JSONObject
    attempts: int
    not_before: datetime
    has_file: bool
    file: OutgoingFile | None = None


def _due(
    now: datetime | BindParameter[datetime], worker: BindParameter[str]
) -> ColumnElement[bool]:
    """Pending and due, or claimed by another worker whose lease ran out. A worker never claims
    again what it holds itself, however late its lease looks (a slow database, a clock that
    jumped): it may be sending it right now. Its own claims come back by release_claims."""
    return or_(
        and_(OutboxItem.status == OutboxStatus.PENDING.value, OutboxItem.not_before <= now),
        and_(
            OutboxItem.status == OutboxStatus.CLAIMED.value,
            OutboxItem.claimed_until <= now,
            OutboxItem.claimed_by != worker,
        ),
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
    """Claim up to `limit` due items (at most `per_chat` of one chat), ordered by chat and id,
    with their files.

    Due: pending with not_before reached, or claimed by another worker under an expired
    lease. `skip_chats`
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
    rows = (await session.execute(_claim_statement(), parameters)).all()
    claimed = [Claimed(*row) for row in rows]
    with_files = [item.id for item in claimed if item.has_file]
    if with_files:
        files = {
            row.outbox_id: OutgoingFile(row.field, row.filename, row.content, row.mime_type)
            for row in await session.scalars(
                select(OutboxFile).where(OutboxFile.outbox_id.in_(with_files))
            )
        }
        claimed = [
            replace(item, file=files.get(item.id)) if item.has_file else item for item in claimed
        ]
    return sorted(claimed, key=lambda item: (item.chat_id, item.id))


_CLAIMED_COLUMNS = (
    "id",
    "kind",
    "subject_id",
    "part",
    "chat_id",
    "method",
    "payload",
    "attempts",
    "not_before",
    "has_file",
)


@lru_cache(maxsize=1)
def _claim_statement() -> Any:
    """claim_due's statement, built once; its figures are parameters (building it costs more
    than running it)."""
    now = bindparam("now", type_=OutboxItem.not_before.type)
    due = _due(now, bindparam("worker"))
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
        .returning(*(getattr(OutboxItem, name) for name in _CLAIMED_COLUMNS))
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


async def release_others_claims(session: AsyncSession, *, worker: str) -> int:
    """Give back every claim of another worker (a leader that was replaced); the number."""
    result = await session.execute(
        update(OutboxItem)
        .where(OutboxItem.status == OutboxStatus.CLAIMED.value, OutboxItem.claimed_by != worker)
        .values(status=OutboxStatus.PENDING.value, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result)


async def release_claims(
    session: AsyncSession, *, worker: str, ids: Collection[int] | None = None
) -> int:
    """Give back every claim of `worker` (after its crash, or at its stop), or those of `ids`;
    the number."""
    mine = _mine(worker) if ids is None else and_(_mine(worker), OutboxItem.id.in_(ids))
    result = await session.execute(
        update(OutboxItem)
        .where(mine)
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
