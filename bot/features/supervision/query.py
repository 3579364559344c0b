"""The live log of a period, read for a report: rows streamed in batches, everything else
(groups, names, releases, duplicates) in a few grouped queries. SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.duplicates.store import duplicates_per_chat
from bot.features.supervision.csv_log import CsvLog
from bot.platform.group_policies import policy_with_overrides
from bot.platform.storage.models import (
    AckRequest,
    Chat,
    GroupPolicyOverride,
    HeldMessage,
    HeldStatus,
    Member,
    MessageLog,
    User,
)
from policies.group_policy import GroupPolicy
from policies.supervision import GroupInfo, LogEntry, Report, ReportBuilder, Source, window_bounds

BATCH_ROWS = 10_000
_ACTIVE_STATUSES = ("creator", "administrator", "member", "restricted")
_NAME_BATCH = 500


@dataclass(frozen=True, slots=True)
class Period:
    since: date
    until: date
    zone: str  # the local dates are read in this zone
    chats: frozenset[int] | None = None  # these groups, or every group in the log

    def bounds(self) -> tuple[datetime, datetime]:
        return window_bounds(self.since, self.until, self.zone)


def _in_period(period: Period) -> ColumnElement[bool]:
    start, end = period.bounds()
    clause = and_(MessageLog.sent_at >= start, MessageLog.sent_at < end)
    if period.chats is not None:
        clause = and_(clause, MessageLog.chat_id.in_(sorted(period.chats)))
    return clause


async def logged_chats(session: AsyncSession, period: Period) -> list[int]:
    """The chats with a logged message in the period."""
    rows = await session.execute(select(MessageLog.chat_id).where(_in_period(period)).distinct())
    return sorted(rows.scalars())


async def group_infos(
    session: AsyncSession, chat_ids: Iterable[int], defaults: GroupPolicy
) -> dict[int, GroupInfo]:
    """Each chat's title, effective policy and known members (Telegram's count when an
    acknowledgement request asked for it, else the roster)."""
    ids = list(chat_ids)
    if not ids:
        return {}
    chats = await session.execute(
        select(Chat.chat_id, Chat.title, GroupPolicyOverride.overrides)
        .outerjoin(GroupPolicyOverride, GroupPolicyOverride.chat_id == Chat.chat_id)
        .where(Chat.chat_id.in_(ids))
    )
    counted = dict(
        await _per_chat(
            session,
            select(AckRequest.chat_id, func.max(AckRequest.total_members))
            .where(AckRequest.chat_id.in_(ids))
            .group_by(AckRequest.chat_id),
        )
    )
    roster = dict(
        await _per_chat(
            session,
            select(Member.chat_id, func.count())
            .where(Member.chat_id.in_(ids), Member.status.in_(_ACTIVE_STATUSES))
            .group_by(Member.chat_id),
        )
    )
    infos = {
        chat_id: GroupInfo(
            chat_id,
            title or str(chat_id),
            policy_with_overrides(overrides, defaults),
            counted.get(chat_id) or roster.get(chat_id),
        )
        for chat_id, title, overrides in chats
    }
    for chat_id in ids:  # logged before the chat was recorded: the defaults apply
        infos.setdefault(chat_id, GroupInfo(chat_id, str(chat_id), defaults, roster.get(chat_id)))
    return infos


_ROWS = (
    MessageLog.chat_id,
    MessageLog.message_id,
    MessageLog.sender_id,
    MessageLog.sender_chat_id,
    MessageLog.sent_at,
    MessageLog.action,
    # The JSON text as stored: a period has few distinct label sets, each decoded once.
    type_coerce(MessageLog.labels, Text),
    MessageLog.after_hours,
    MessageLog.quiet_reason,
    MessageLog.urgent_reason,
    AckRequest.instant_reply,
    MessageLog.text,
)


async def log_entries(
    session: AsyncSession, period: Period, *, with_names: bool = False
) -> AsyncIterator[tuple[LogEntry, str]]:
    """The period's log rows in time order, each with its sender's name when asked (else "")."""
    columns = [*_ROWS, User.first_name, User.last_name] if with_names else list(_ROWS)
    statement = (
        select(*columns)
        .outerjoin(
            AckRequest,
            and_(
                AckRequest.chat_id == MessageLog.chat_id,
                AckRequest.request_message_id == MessageLog.message_id,
            ),
        )
        .where(_in_period(period))
        .order_by(MessageLog.sent_at, MessageLog.id)
        .execution_options(yield_per=BATCH_ROWS)
    )
    if with_names:
        statement = statement.outerjoin(User, User.user_id == MessageLog.sender_id)
    known_labels: dict[str, frozenset[str]] = {}
    result = await session.stream(statement)
    # A batch at a time: each step of an async result costs a switch between greenlets. After
    # each, the event loop serves others (SQLite runs on its thread: a long report would not).
    async for batch in result.partitions(BATCH_ROWS):
        await asyncio.sleep(0)
        for values in batch:
            row: tuple[Any, ...] = tuple(values)
            sender = row[3] if row[3] is not None else row[2]
            entry = LogEntry(
                chat_id=row[0],
                message_id=row[1],
                sender_id=sender,
                sent_at=row[4],
                action=row[5],
                labels=_labels(row[6], known_labels),
                after_hours=row[7],
                quiet_reason=row[8],
                urgent_reason=row[9],
                instant_reply=bool(row[10]),
                text=row[11],
            )
            first, last = (row[12], row[13]) if with_names else (None, None)
            yield entry, (f"{first} {last}" if last else first) if first else ""


def _labels(stored: str | list[str] | None, known: dict[str, frozenset[str]]) -> frozenset[str]:
    """The labels of a row, from the JSON text (asyncpg decodes JSON itself: a list)."""
    if not isinstance(stored, str):
        return frozenset(stored or ())
    found = known.get(stored)
    if found is None:
        found = known[stored] = frozenset(json.loads(stored))
    return found


async def write_log_csv(
    session: AsyncSession, period: Period, defaults: GroupPolicy, csv: CsvLog
) -> None:
    """The period's log rows, each with its group's title and local time."""
    infos = await group_infos(session, await logged_chats(session, period), defaults)
    async for entry, name in log_entries(session, period, with_names=True):
        info = infos[entry.chat_id]
        csv.row(entry, info.title, name, info.policy.timezone)


async def sender_names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    """Names for sender ids: users by their name, chats posted as by their title."""
    wanted = sorted(set(ids))
    names: dict[int, str] = {}
    for start in range(0, len(wanted), _NAME_BATCH):
        batch = wanted[start : start + _NAME_BATCH]
        users = await session.execute(
            select(User.user_id, User.first_name, User.last_name).where(User.user_id.in_(batch))
        )
        for user_id, first, last in users:
            names[user_id] = f"{first} {last}" if last else first
        chats = await session.execute(
            select(Chat.chat_id, Chat.title).where(Chat.chat_id.in_(batch), Chat.title.is_not(None))
        )
        names.update({chat_id: title for chat_id, title in chats if title})
    return names


async def log_report(session: AsyncSession, period: Period, defaults: GroupPolicy) -> Report:
    """The report of `period` from the live log."""
    builder = ReportBuilder(Source.LOG)
    infos = await group_infos(session, await logged_chats(session, period), defaults)
    for info in infos.values():
        builder.group(info)
    senders: set[int] = set()
    async for entry, _ in log_entries(session, period):
        builder.add(entry)
        if entry.sender_id is not None:
            senders.add(entry.sender_id)
    start, end = period.bounds()
    for chat_id, released in await _per_chat(
        session,
        select(HeldMessage.chat_id, func.count())
        .where(
            HeldMessage.status == HeldStatus.RELEASED,
            HeldMessage.sent_at >= start,
            HeldMessage.sent_at < end,
        )
        .group_by(HeldMessage.chat_id),
    ):
        if builder.knows(chat_id):
            builder.add_released(chat_id, released)
    for chat_id, duplicates in await duplicates_per_chat(session, start, end):
        if builder.knows(chat_id):
            builder.add_duplicates(chat_id, duplicates)
    names = await sender_names(session, senders)
    return builder.build(names, period.since, period.until, period.zone)


async def _per_chat(
    session: AsyncSession, statement: Select[int, int] | Select[int, int | None]
) -> list[tuple[int, int]]:
    result = await session.execute(statement)
    return [(chat_id, count) for chat_id, count in result if count is not None]
