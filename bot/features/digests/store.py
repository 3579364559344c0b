"""What digests read from the store: open items of groups, who is in which group now, what
each person already did, subscriptions and the digests already sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime

import pytz
from sqlalchemy import and_, func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.acks.store import PRESENT_STATUSES, released_demands
from bot.platform.storage.models import (
    Acknowledgement,
    AckRequest,
    Chat,
    DataRequestAnswer,
    DataRequestRecord,
    DeleteStatus,
    GroupDigest,
    HeldMessage,
    HeldStatus,
    Member,
    MessageLog,
    PersonalDigest,
    ReleasePage,
    Rollcall,
    RollcallEntry,
    RollcallStatus,
    User,
)
from policies.deadlines import find_deadline
from policies.features.digests import ACTION_WINDOW, RECAP_LABELS, DigestItem, ItemKind, summary_of
from policies.labels import Label

GROUP_TYPES = ("group", "supergroup")
# What is not worth a line: absorbed acknowledgements and merged reposts.
_NOT_LISTED = ("absorbed", "merged")
_INFORMATION = frozenset({Label.NOTICE, Label.DATA_REQUEST})


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """A group the bot is in, as a digest names it."""

    chat_id: int
    title: str
    type: str
    zone: str


async def present_groups(session: AsyncSession) -> dict[int, Chat]:
    """The groups the bot is in now (a group it was removed from is not)."""
    rows = await session.scalars(
        select(Chat).where(Chat.type.in_(GROUP_TYPES), Chat.left_at.is_(None))
    )
    return {row.chat_id: row for row in rows}


async def memberships(
    session: AsyncSession, user_ids: Collection[int], chats: Collection[int]
) -> dict[int, frozenset[int]]:
    """The groups among `chats` each person is a member of now, by the roster."""
    found: dict[int, set[int]] = defaultdict(set)
    for ids in _chunks(list(user_ids)):
        rows = await session.execute(
            select(Member.user_id, Member.chat_id).where(
                Member.user_id.in_(ids), Member.status.in_(PRESENT_STATUSES)
            )
        )
        for user_id, chat_id in rows:
            if chat_id in chats:
                found[user_id].add(chat_id)
    return {user_id: frozenset(found.get(user_id, ())) for user_id in user_ids}


async def open_items(
    session: AsyncSession,
    groups: dict[int, GroupFacts],
    *,
    since: datetime,
    now: datetime,
) -> dict[int, list[DigestItem]]:
    """Per group: its open acknowledgements and roll-calls, its data requests of the last
    ACTION_WINDOW, and its notices since `since`; each message once (a request with a button
    is that request)."""
    chats = list(groups)
    if not chats:
        return {}
    window = now - ACTION_WINDOW
    subjects: dict[tuple[int, int], tuple[ItemKind, int]] = {}
    for kind, chat_column, message_column, id_column, condition in (
        (
            ItemKind.ACK,
            AckRequest.chat_id,
            AckRequest.request_message_id,
            AckRequest.id,
            AckRequest.closed_at.is_(None) & (AckRequest.expires_at > now),
        ),
        (
            ItemKind.ROLLCALL,
            Rollcall.chat_id,
            Rollcall.source_message_id,
            Rollcall.id,
            (Rollcall.status == RollcallStatus.OPEN.value) & (Rollcall.created_at > window),
        ),
        (
            ItemKind.DATA_REQUEST,
            DataRequestRecord.chat_id,
            DataRequestRecord.message_id,
            DataRequestRecord.id,
            DataRequestRecord.sent_at > window,
        ),
    ):
        for ids in _chunks(chats):
            rows = await session.execute(
                select(chat_column, message_column, id_column).where(
                    condition, chat_column.in_(ids)
                )
            )
            for chat_id, message_id, subject_id in rows:
                subjects.setdefault((chat_id, message_id), (kind, subject_id))
    pages = sorted(subjects)
    for start in range(0, len(pages), _CHUNK):
        demands = await released_demands(session, pages[start : start + _CHUNK])
        for page, demand in demands.items():
            subjects.setdefault(demand, subjects.pop(page))
    listed = select(MessageLog, User.first_name, User.last_name).outerjoin(
        User, User.user_id == MessageLog.sender_id
    )
    found: dict[tuple[int, int], DigestItem] = {}
    # The requests' own messages, however old within the window …
    pairs = sorted(subjects)
    for start in range(0, len(pairs), _CHUNK):
        some = pairs[start : start + _CHUNK]
        requests = await session.execute(
            listed.where(tuple_(MessageLog.chat_id, MessageLog.message_id).in_(some))
        )
        for log, first, last in requests:
            key = (log.chat_id, log.message_id)
            found[key] = _item(log, subjects[key], _name(first, last), groups)
    # … and the notices since `since`, for information.
    for ids in _chunks(chats):
        logged = await session.execute(
            listed.where(
                MessageLog.chat_id.in_(ids),
                MessageLog.sent_at > since,
                MessageLog.action.not_in(_NOT_LISTED),
            )
        )
        for log, first, last in logged:
            key = (log.chat_id, log.message_id)
            # A data request not stored (a group with duplicates off) is still worth knowing.
            if key not in found and _INFORMATION.intersection(log.labels):
                notice = (ItemKind.NOTICE, log.id)
                found[key] = _item(log, notice, _name(first, last), groups)
    links = await _held_links(session, sorted(found))
    items: dict[int, list[DigestItem]] = defaultdict(list)
    for key, item in found.items():
        if key in links:
            item = replace(item, link_id=links[key])
        items[item.chat_id].append(item)
    return items


async def _held_links(
    session: AsyncSession, keys: list[tuple[int, int]]
) -> dict[tuple[int, int], int | None]:
    """Of the messages `keys` (chat, message id), those held in quiet time or for a batch and
    taken away: the message that carries the released copy, or None while none was delivered.
    One whose delete was refused is still where it was posted."""
    found: dict[tuple[int, int], int | None] = {}
    for start in range(0, len(keys), _CHUNK):
        rows = await session.execute(
            select(
                HeldMessage.chat_id,
                HeldMessage.message_id,
                HeldMessage.status,
                ReleasePage.message_id,
            )
            .outerjoin(ReleasePage, ReleasePage.id == HeldMessage.page_id)
            .where(
                tuple_(HeldMessage.chat_id, HeldMessage.message_id).in_(
                    keys[start : start + _CHUNK]
                ),
                HeldMessage.delete_status != DeleteStatus.FAILED.value,
            )
        )
        for chat_id, message_id, status, copy in rows:
            found[chat_id, message_id] = copy if status == HeldStatus.RELEASED.value else None
    return found


async def covered_to(session: AsyncSession, chat_id: int | None = None) -> int | None:
    """The latest message_log id (of one chat, or of all): where a digest composed now ends."""
    statement = select(func.max(MessageLog.id))
    if chat_id is not None:
        statement = statement.where(MessageLog.chat_id == chat_id)
    found: int | None = await session.scalar(statement)
    return found


async def recap_rows(
    session: AsyncSession, group: GroupFacts, since: datetime, after: int | None, upto: int | None
) -> list[DigestItem]:
    """What a group recap lists: messages posted (not held) after the last digest's log id
    `after` (the first digest: after `since`) up to `upto`, that need attention, in order."""
    start = MessageLog.sent_at > since if after is None else MessageLog.id > after
    rows = await session.execute(
        select(MessageLog, User.first_name, User.last_name)
        .outerjoin(User, User.user_id == MessageLog.sender_id)
        .where(
            MessageLog.chat_id == group.chat_id,
            start,
            MessageLog.id <= (upto or 0),
            MessageLog.action.not_in((*_NOT_LISTED, "held")),
        )
        .order_by(MessageLog.sent_at, MessageLog.message_id)
    )
    groups = {group.chat_id: group}
    return [
        _item(log, (ItemKind.NOTICE, log.id), _name(first, last), groups)
        for log, first, last in rows
        if RECAP_LABELS.intersection(log.labels) and Label.ACK not in log.labels
    ]


def _item(
    log: MessageLog, subject: tuple[ItemKind, int], sender: str, groups: dict[int, GroupFacts]
) -> DigestItem:
    text = log.text or ""
    group = groups[log.chat_id]
    local = log.sent_at.astimezone(pytz.timezone(group.zone))
    return DigestItem(
        kind=subject[0],
        subject_id=subject[1],
        chat_id=log.chat_id,
        message_id=log.message_id,
        sender_id=log.sender_id,
        sender=sender or group.title,
        sent_at=log.sent_at,
        summary=summary_of(text),
        deadline=find_deadline(text, local) if text else None,
        urgent=Label.URGENT in log.labels,
        link_id=log.message_id,
    )


def _name(first: str | None, last: str | None) -> str:
    return f"{first} {last}" if first and last else first or ""


async def done_by(
    session: AsyncSession, user_ids: Collection[int], items: Iterable[DigestItem]
) -> dict[int, frozenset[tuple[ItemKind, int]]]:
    """What each person already did about the items: acknowledged, joined, answered."""
    wanted: dict[ItemKind, set[int]] = defaultdict(set)
    for item in items:
        wanted[item.kind].add(item.subject_id)
    found: dict[int, set[tuple[ItemKind, int]]] = defaultdict(set)
    users = list(user_ids)
    for kind, user_column, subject_column, condition in (
        (ItemKind.ACK, Acknowledgement.user_id, Acknowledgement.request_id, true()),
        (
            ItemKind.ROLLCALL,
            RollcallEntry.user_id,
            RollcallEntry.rollcall_id,
            RollcallEntry.withdrawn_at.is_(None),
        ),
        (ItemKind.DATA_REQUEST, DataRequestAnswer.sender_id, DataRequestAnswer.request_id, true()),
    ):
        subjects = sorted(wanted[kind])
        for some in _chunks(subjects):
            for ids in _chunks(users):
                rows = await session.execute(
                    select(user_column, subject_column).where(
                        condition, subject_column.in_(some), user_column.in_(ids)
                    )
                )
                for user_id, subject_id in rows:
                    if user_id is not None:
                        found[user_id].add((kind, subject_id))
    return {user_id: frozenset(found.get(user_id, ())) for user_id in users}


@dataclass(frozen=True, slots=True)
class LastDigest:
    """The latest digest sent to someone: its slot, and where what it covered ends."""

    slot: datetime
    covered_to: int | None  # the last message_log id it covered


async def last_personal(session: AsyncSession) -> dict[int, LastDigest]:
    rows = await session.execute(
        select(
            PersonalDigest.user_id,
            func.max(PersonalDigest.slot),
            func.max(PersonalDigest.covered_to),
        ).group_by(PersonalDigest.user_id)
    )
    return {user_id: LastDigest(slot, at) for user_id, slot, at in rows}


async def last_group(session: AsyncSession) -> dict[int, LastDigest]:
    rows = await session.execute(
        select(
            GroupDigest.chat_id, func.max(GroupDigest.slot), func.max(GroupDigest.covered_to)
        ).group_by(GroupDigest.chat_id)
    )
    return {chat_id: LastDigest(slot, at) for chat_id, slot, at in rows}


async def is_present_member(session: AsyncSession, chat_id: int, user_id: int) -> bool:
    """Whether the person is in the group now and the bot is too."""
    found = await session.scalar(
        select(Member.user_id)
        .join(Chat, Chat.chat_id == Member.chat_id)
        .where(
            and_(
                Member.chat_id == chat_id,
                Member.user_id == user_id,
                Member.status.in_(PRESENT_STATUSES),
                Chat.left_at.is_(None),
            )
        )
    )
    return found is not None


_CHUNK = 500  # ids per IN list: well inside SQLite's and asyncpg's parameter limits


def _chunks(values: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]
