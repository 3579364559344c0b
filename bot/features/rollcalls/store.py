"""Roll-calls and their lines, as the store keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.storage.models import (
    EntrySource,
    Rollcall,
    RollcallEntry,
    RollcallStatus,
)
from policies.classification import RollCallEntry
from policies.features.rollcalls import ListedLine, OpenRollCall

MATCH_LATEST = 5


async def open_rollcalls(session: AsyncSession, chat_id: int) -> tuple[OpenRollCall, ...]:
    """The chat's latest open roll-calls with their live lines.

    Roll-calls nobody closed stay open; only the latest few are worth comparing a chain with.
    """
    rollcalls = await session.scalars(
        select(Rollcall)
        .where(Rollcall.chat_id == chat_id, Rollcall.status == RollcallStatus.OPEN.value)
        .order_by(Rollcall.id.desc())
        .limit(MATCH_LATEST)
    )
    found = []
    for rollcall in rollcalls.all():
        lines = listed_lines(await live_entries(session, rollcall.id))
        found.append(OpenRollCall(rollcall.id, rollcall.source_message_id, rollcall.title, lines))
    return tuple(found)


def listed_lines(entries: Sequence[RollcallEntry]) -> tuple[ListedLine, ...]:
    return tuple(ListedLine(e.id, e.name, e.extra or "", e.user_id) for e in entries)


async def live_entries(session: AsyncSession, rollcall_id: int) -> list[RollcallEntry]:
    """Entries not withdrawn, in list order."""
    rows = await session.scalars(
        select(RollcallEntry)
        .where(RollcallEntry.rollcall_id == rollcall_id, RollcallEntry.withdrawn_at.is_(None))
        .order_by(RollcallEntry.position, RollcallEntry.id)
    )
    return list(rows.all())


async def last_position(session: AsyncSession, rollcall_id: int) -> int:
    last = await session.scalar(
        select(func.max(RollcallEntry.position)).where(RollcallEntry.rollcall_id == rollcall_id)
    )
    return last or 0


def add_entries(
    session: AsyncSession,
    rollcall_id: int,
    lines: Sequence[RollCallEntry],
    *,
    after: int,
    owned: int | None,
    by: int,
    source: EntrySource,
    now: datetime,
) -> None:
    """The posted lines, numbered on from `after`; line `owned` is the poster's (`by`)."""
    for index, line in enumerate(lines):
        session.add(
            RollcallEntry(
                rollcall_id=rollcall_id,
                position=after + 1 + index,
                name=line.name,
                extra=line.extra or None,
                user_id=by if index == owned else None,
                source=source.value,
                added_at=now,
                added_by=by,
            )
        )


async def withdraw_entries(session: AsyncSession, entry_ids: Sequence[int], now: datetime) -> None:
    await session.execute(
        update(RollcallEntry)
        .where(RollcallEntry.id.in_(entry_ids), RollcallEntry.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
        .execution_options(synchronize_session=False)
    )
