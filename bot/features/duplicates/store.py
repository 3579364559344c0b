"""Data requests as the store keeps them: the requests with their lookup keys, the candidates a
new request is compared with, the answers, the matches and what admins' decisions left."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import overload

from sqlalchemy import (
    CompoundSelect,
    Integer,
    Text,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.storage.models import (
    DataRequestAnswer,
    DataRequestKey,
    DataRequestRecord,
    DuplicateMatch,
    HeaderStatus,
    LearnedAlias,
    MatchStatus,
    MessageLog,
    RejectedPair,
)
from bot.platform.storage.upsert import insert_ignore
from policies.duplicates import DataRequest, from_stored, query_keys, stored_form
from policies.features.duplicates import AnsweredRequest

PER_KEY = 200  # candidates read per lookup key: the earliest in the window
PAGE = 16  # read first per key: the earliest match is nearly always among them


async def save_request(
    session: AsyncSession,
    request: DataRequest,
    *,
    chat_id: int,
    message_id: int,
    sender_id: int | None,
    sent_at: datetime,
    file_id: str | None = None,
    file_name: str | None = None,
    header: str | None = None,
) -> int | None:
    """Store a request and its lookup keys; its row id, or None when the message has one."""
    created = await insert_ignore(
        session,
        DataRequestRecord,
        {
            "chat_id": chat_id,
            "message_id": message_id,
            "sender_id": sender_id,
            "sent_at": sent_at,
            "key": stored_form(request),
            "file_id": file_id,
            "file_name": file_name,
            "header": header,
            "header_attempts": 0,
            "header_due_at": sent_at if header else None,
        },
        keys=["chat_id", "message_id"],
    )
    if not created:
        return None
    request_id = await request_id_of(session, chat_id, message_id)
    assert request_id is not None
    await _insert_keys(session, request_id, request.lookup, sent_at)
    return request_id


async def _insert_keys(
    session: AsyncSession, request_id: int, keys: Iterable[str], sent_at: datetime
) -> None:
    rows = [{"request_id": request_id, "lookup_key": key, "sent_at": sent_at} for key in keys]
    if rows:
        await session.execute(insert(DataRequestKey), rows)


async def rekey(session: AsyncSession, request_id: int, request: DataRequest) -> None:
    """A request's key changed (its table's header was read): its stored form and lookup keys."""
    record = await session.get(DataRequestRecord, request_id)
    assert record is not None
    record.key = stored_form(request)
    await session.execute(delete(DataRequestKey).where(DataRequestKey.request_id == request_id))
    await _insert_keys(session, request_id, request.lookup, record.sent_at)


async def request_id_of(session: AsyncSession, chat_id: int, message_id: int) -> int | None:
    found: int | None = await session.scalar(
        select(DataRequestRecord.id).where(
            DataRequestRecord.chat_id == chat_id, DataRequestRecord.message_id == message_id
        )
    )
    return found


async def answered_request(
    session: AsyncSession, chat_id: int, message_id: int
) -> AnsweredRequest | None:
    """The stored request a reply to `message_id` in the chat answers, if it is one."""
    connection = await session.connection()  # see _candidates_statement
    row = (
        await connection.execute(_ANSWERED, {"chat_id": chat_id, "message_id": message_id})
    ).first()
    return None if row is None else AnsweredRequest(row[0], row[1])


_ANSWERED = select(DataRequestRecord.id, DataRequestRecord.sender_id).where(
    DataRequestRecord.chat_id == bindparam("chat_id"),
    DataRequestRecord.message_id == bindparam("message_id"),
)


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A candidate as the query gives it: where and by whom, and its stored form as JSON."""

    id: int
    sent_at: datetime
    chat_id: int
    sender_id: int | None
    stored: str


class Candidates(Sequence[DataRequest]):
    """Stored requests oldest first, each decoded from its stored form when first read: the
    matcher stops at the first that matches, and the rest are never decoded."""

    def __init__(self, rows: Iterable[StoredRow]) -> None:
        unique = {row.id: row for row in rows}
        self._rows = sorted(unique.values(), key=lambda row: (row.sent_at, row.id))
        self._decoded: dict[int, DataRequest] = {}

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> DataRequest: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[DataRequest]: ...

    def __getitem__(self, index: int | slice) -> DataRequest | Sequence[DataRequest]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        found = self._decoded.get(index)
        if found is None:
            row = self._rows[index]
            found = from_stored(row.id, row.sent_at, json.loads(row.stored))
            self._decoded[index] = found
        return found

    def until(self, horizon: datetime) -> Candidates:
        """Those sent up to `horizon`."""
        return Candidates(row for row in self._rows if row.sent_at <= horizon)

    def posted_by(self, chat_id: int, sender_id: int | None) -> frozenset[int]:
        """The ids of those this sender posted in this chat."""
        return frozenset(
            row.id
            for row in self._rows
            if row.chat_id == chat_id and sender_id is not None and row.sender_id == sender_id
        )


async def candidates(
    session: AsyncSession,
    request: DataRequest,
    since: datetime,
    until: datetime,
    per_key: int = PER_KEY,
) -> tuple[Candidates, datetime | None]:
    """The stored requests under `request`'s query keys sent in [since, until]: the earliest
    `per_key` of each key, oldest first. With them the horizon: up to when they are all the
    stored requests under those keys (None: they are all of them, up to `until`)."""
    keys = sorted(query_keys(request))
    if not keys:
        return Candidates(()), None
    parameters: dict[str, object] = {f"key{n}": key for n, key in enumerate(keys)}
    parameters.update(since=since, until=until, per_key=per_key)
    connection = await session.connection()  # see _candidates_statement
    rows = (await connection.execute(_candidates_statement(len(keys)), parameters)).all()
    last: dict[int, datetime] = {}
    counts: dict[int, int] = {}
    for number, _, sent_at, *_ in rows:
        counts[number] = counts.get(number, 0) + 1
        last[number] = max(last.get(number, sent_at), sent_at)
    full = [last[number] for number, count in counts.items() if count >= per_key]
    horizon = min(full) if full else None
    return Candidates(StoredRow(*row[1:]) for row in rows), horizon


@lru_cache(maxsize=16)
def _candidates_statement(
    key_count: int,
) -> CompoundSelect[int, int, datetime, int, int | None, str]:
    """The candidates' query for this many keys, built once: building it costs more than
    running it. Each key's earliest rows with their requests (the stored form as JSON text,
    decoded only for the candidates the matcher reads), one UNION ALL member a key.

    It runs on the session's connection, a plain Core query without the ORM's execution layer;
    so the inserts a batch defers (storage/deferred.py) are not sent before it, which is right
    for what it reads: requests and keys are inserted at once, never deferred."""
    stored = cast(DataRequestRecord.key, Text).label("stored")
    members = []
    for number in range(key_count):
        # SQLite refuses LIMIT in a bare UNION member: each member reads its own subquery.
        earliest = (
            select(DataRequestKey.request_id, DataRequestKey.sent_at)
            .where(
                DataRequestKey.lookup_key == bindparam(f"key{number}"),
                DataRequestKey.sent_at.between(bindparam("since"), bindparam("until")),
            )
            .order_by(DataRequestKey.sent_at)
            .limit(bindparam("per_key", type_=Integer))
            .subquery()
        )
        members.append(
            select(
                literal_column(str(number)).label("key"),
                DataRequestRecord.id,
                earliest.c.sent_at,
                DataRequestRecord.chat_id,
                DataRequestRecord.sender_id,
                stored,
            ).join(DataRequestRecord, DataRequestRecord.id == earliest.c.request_id)
        )
    return union_all(*members)


async def rejected_pairs(session: AsyncSession) -> list[frozenset[str]]:
    """Every pair of wordings admins said ask for different data."""
    rows = await session.execute(select(RejectedPair.first, RejectedPair.second))
    return [frozenset(pair) for pair in rows]


async def reject_pair(
    session: AsyncSession, pair: frozenset[str], match_id: int, now: datetime
) -> None:
    first, second = sorted(pair) if len(pair) == 2 else (next(iter(pair)),) * 2
    await insert_ignore(
        session,
        RejectedPair,
        {"first": first, "second": second, "match_id": match_id, "at": now},
        keys=["first", "second"],
    )


async def learned_aliases(session: AsyncSession) -> dict[str, tuple[str, ...]]:
    rows = await session.execute(select(LearnedAlias.alias, LearnedAlias.objects))
    return {alias: tuple(objects) for alias, objects in rows}


async def learn_aliases(
    session: AsyncSession, aliases: Mapping[str, Sequence[str]], match_id: int, now: datetime
) -> None:
    for alias, objects in aliases.items():
        await insert_ignore(
            session,
            LearnedAlias,
            {"alias": alias, "objects": list(objects), "match_id": match_id, "learned_at": now},
            keys=["alias"],
        )


async def record_answer(
    session: AsyncSession,
    request_id: int,
    *,
    message_id: int,
    sender_id: int | None,
    with_file: bool,
    sent_at: datetime,
) -> None:
    await insert_ignore(
        session,
        DataRequestAnswer,
        {
            "request_id": request_id,
            "message_id": message_id,
            "sender_id": sender_id,
            "with_file": with_file,
            "sent_at": sent_at,
        },
        keys=["request_id", "message_id"],
    )


@dataclass(frozen=True, slots=True)
class Answers:
    replies: int
    files: int


async def answer_counts(session: AsyncSession, request_id: int) -> Answers:
    replies, files = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((DataRequestAnswer.with_file, 1), else_=0)), 0),
            ).where(DataRequestAnswer.request_id == request_id)
        )
    ).one()
    return Answers(int(replies), int(files))


async def answers_of(session: AsyncSession, request_id: int) -> list[DataRequestAnswer]:
    """The answers to a request, in the order they came."""
    rows = await session.scalars(
        select(DataRequestAnswer)
        .where(DataRequestAnswer.request_id == request_id)
        .order_by(DataRequestAnswer.sent_at, DataRequestAnswer.message_id)
    )
    return list(rows)


async def create_match(
    session: AsyncSession, request_id: int, earlier_id: int, now: datetime
) -> int | None:
    """Link a request to the earlier one; the match's id, or None when it is linked already."""
    created = await insert_ignore(
        session,
        DuplicateMatch,
        {
            "request_id": request_id,
            "earlier_id": earlier_id,
            "status": MatchStatus.PROPOSED.value,
            "created_at": now,
        },
        keys=["request_id"],
    )
    if not created:
        return None
    match_id: int | None = await session.scalar(
        select(DuplicateMatch.id).where(DuplicateMatch.request_id == request_id)
    )
    return match_id


async def has_match(session: AsyncSession, request_id: int) -> bool:
    found = await session.scalar(
        select(DuplicateMatch.id).where(DuplicateMatch.request_id == request_id)
    )
    return found is not None


async def untold_matches(session: AsyncSession, limit: int) -> list[int]:
    rows = await session.scalars(
        select(DuplicateMatch.id)
        .where(DuplicateMatch.told_at.is_(None))
        .order_by(DuplicateMatch.id)
        .limit(limit)
    )
    return list(rows)


async def mark_told(session: AsyncSession, match_id: int, now: datetime) -> bool:
    """True for the one caller that marks it first."""
    result = await session.execute(
        update(DuplicateMatch)
        .where(DuplicateMatch.id == match_id, DuplicateMatch.told_at.is_(None))
        .values(told_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def decide(
    session: AsyncSession, match_id: int, status: MatchStatus, by: int, now: datetime
) -> bool:
    """Record an admin's decision on a proposed match; True for the first decision only."""
    result = await session.execute(
        update(DuplicateMatch)
        .where(DuplicateMatch.id == match_id, DuplicateMatch.status == MatchStatus.PROPOSED.value)
        .values(status=status.value, decided_by=by, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def pending_headers(session: AsyncSession, now: datetime, limit: int) -> list[int]:
    rows = await session.scalars(
        select(DataRequestRecord.id)
        .where(
            DataRequestRecord.header == HeaderStatus.PENDING.value,
            DataRequestRecord.header_due_at <= now,
        )
        .order_by(DataRequestRecord.header_due_at)
        .limit(limit)
    )
    return list(rows)


async def next_header_due(session: AsyncSession) -> datetime | None:
    due: datetime | None = await session.scalar(
        select(func.min(DataRequestRecord.header_due_at)).where(
            DataRequestRecord.header == HeaderStatus.PENDING.value
        )
    )
    return due


async def logged_text(session: AsyncSession, chat_id: int, message_id: int) -> str:
    """What the message said, as the message log keeps it."""
    text: str | None = await session.scalar(
        select(MessageLog.text).where(
            MessageLog.chat_id == chat_id, MessageLog.message_id == message_id
        )
    )
    return text or ""


async def duplicates_per_chat(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[int, int]]:
    """Per group, the requests in [start, end) linked to an earlier one and not rejected."""
    rows = await session.execute(
        select(DataRequestRecord.chat_id, func.count())
        .join(DuplicateMatch, DuplicateMatch.request_id == DataRequestRecord.id)
        .where(
            DataRequestRecord.sent_at >= start,
            DataRequestRecord.sent_at < end,
            DuplicateMatch.status != MatchStatus.REJECTED.value,
        )
        .group_by(DataRequestRecord.chat_id)
    )
    return [(chat_id, count) for chat_id, count in rows]


def window_bounds(sent_at: datetime, window: timedelta) -> tuple[datetime, datetime]:
    """The times candidates for a request sent at `sent_at` were sent in."""
    return sent_at - window, sent_at
