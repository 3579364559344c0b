"""Which updates the bot has processed: stored with their effects, so none is handled twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.storage.models import ProcessedUpdate
from bot.platform.storage.upsert import insert_ignore_many

KEEP = timedelta(days=7)
"""Telegram redelivers what was not confirmed within a day; a week is plenty, and after a week
of silence it numbers updates afresh (so no offset is resumed from older records)."""

_AMONG = select(ProcessedUpdate.update_id).where(
    ProcessedUpdate.update_id.in_(bindparam("ids", expanding=True))
)


async def processed_among(session: AsyncSession, update_ids: Sequence[int]) -> frozenset[int]:
    """Those of `update_ids` already processed."""
    if not update_ids:
        return frozenset()
    return frozenset(await session.scalars(_AMONG, {"ids": list(update_ids)}))


async def mark_processed(session: AsyncSession, update_ids: Sequence[int], now: datetime) -> None:
    """Record the updates as processed, in the transaction of their effects."""
    rows = [{"update_id": update_id, "processed_at": now} for update_id in update_ids]
    await insert_ignore_many(session, ProcessedUpdate, rows, keys=["update_id"])


async def resume_offset(session: AsyncSession, now: datetime) -> int | None:
    """The getUpdates offset after the last update processed, when it is recent enough that
    Telegram still numbers updates on from it; None: ask without an offset."""
    last, at = (
        await session.execute(
            select(ProcessedUpdate.update_id, ProcessedUpdate.processed_at)
            .order_by(ProcessedUpdate.update_id.desc())
            .limit(1)
        )
    ).one_or_none() or (None, None)
    if last is None or at is None or now - at > KEEP - timedelta(days=1):
        return None
    return int(last) + 1


async def forget_old(session: AsyncSession, now: datetime) -> int:
    """Drop the records older than KEEP, but the newest; the number dropped."""
    newest = await session.scalar(select(func.max(ProcessedUpdate.update_id)))
    result = await session.execute(
        delete(ProcessedUpdate).where(
            ProcessedUpdate.processed_at < now - KEEP, ProcessedUpdate.update_id != newest
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_processed_before(
    sessions: async_sessionmaker[AsyncSession], now: datetime
) -> None:
    """The daily job: drop the records of updates processed more than KEEP ago."""
    async with sessions() as session:
        await forget_old(session, now)
        await session.commit()
