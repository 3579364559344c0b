"""Held messages back into their group at the next work start: one silent digest, exactly once.

The database decides what is released: a tick claims a chat's due held messages by moving
them from held to released in the same transaction that enqueues the digest, as outbox items
about the held ids. A second tick, another instance or a restart finds nothing
left to claim, and the outbox sends what was enqueued exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytz
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.essentials import Essentials
from bot.platform.i18n import Catalogs
from bot.platform.outbox.items import Outgoing
from bot.platform.outbox.store import enqueue
from bot.platform.policy_text import when_text
from bot.platform.storage.models import (
    DeleteStatus,
    HeldMessage,
    HeldStatus,
    OutboxItem,
    OutboxStatus,
)
from bot.platform.text_limits import TEXT_LIMIT, utf16_len
from policies.group_policy import GroupPolicy

DELETE_KIND = "held/delete"
PAGE_KIND = "release/page"  # subject: the first held message of the digest; part: page number
EDIT_RELEASE_KIND = "release/edit"  # subject: the held message an edit made urgent
CAPTION_LIMIT = 1024
POLL_QUESTION_LIMIT = 300
_SEND_MEDIA = {
    "photo": "sendPhoto",
    "video": "sendVideo",
    "animation": "sendAnimation",
    "document": "sendDocument",
    "audio": "sendAudio",
    "voice": "sendVoice",
    "video_note": "sendVideoNote",
    "sticker": "sendSticker",
}
_OVERNIGHT = timedelta(hours=24)
_NO_CAPTION = frozenset({"video_note", "sticker"})
_LABELLED = frozenset({*_SEND_MEDIA, "poll"})


@dataclass(frozen=True)
class Formatted:
    """Text with its Bot API entities (offsets in UTF-16 units)."""

    text: str
    entities: tuple[dict[str, Any], ...] = ()

    def __add__(self, other: Formatted) -> Formatted:
        shift = utf16_len(self.text)
        moved = tuple({**e, "offset": e["offset"] + shift} for e in other.entities)
        return Formatted(self.text + other.text, self.entities + moved)

    @property
    def length(self) -> int:
        return utf16_len(self.text)

    def fields(self, text_field: str, entities_field: str) -> dict[str, Any]:
        data: dict[str, Any] = {text_field: self.text}
        if self.entities:
            data[entities_field] = list(self.entities)
        return data


@dataclass(frozen=True)
class Call:
    """One Bot API call of a release."""

    method: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Item:
    line: Formatted
    media: Call | None


def compose_release(
    catalogs: Catalogs,
    lang: str,
    zone: str,
    chat_id: int,
    held: Sequence[HeldMessage],
    released_at: datetime,
    *,
    digest: bool = True,
    preface: Sequence[Formatted] = (),
    header: str = "release",
) -> list[Call]:
    """The calls that post `held` (in the order given): digest pages, then media and polls.

    A digest page is at most TEXT_LIMIT long and never cuts an item, unless one item alone
    is too long for a page. Without `digest` (one message released early) there is no header.
    `preface`: lines listed before the held messages, under `header`'s family of headers (the
    group digest, when it is due with the release: one message, not two).
    """
    items = [_item(catalogs, lang, zone, chat_id, row, released_at) for row in held]
    if digest:
        lines = [*preface, *(item.line for item in items)]
        calls = _pages(catalogs, lang, chat_id, lines, header)
    else:
        calls = [
            _send_text(chat_id, piece)
            for item in items
            if item.media is None
            for piece in _fit(item.line, TEXT_LIMIT)
        ]
    calls += [item.media for item in items if item.media is not None]
    return calls


def _item(
    catalogs: Catalogs, lang: str, zone: str, chat_id: int, row: HeldMessage, released_at: datetime
) -> _Item:
    payload = row.payload
    content = Formatted("")
    if "forwarded_from" in payload:
        origin = catalogs.text("release.forwarded", lang, origin=payload["forwarded_from"])
        content += Formatted(origin + " ")
    if row.kind in _LABELLED:
        content += Formatted(catalogs.text(f"release.media.{row.kind}", lang) + " ")
    elif row.kind != "text":
        content += Formatted(catalogs.text("release.media.other", lang) + " ")
    if "text" in payload:
        content += Formatted(payload["text"], tuple(payload.get("entities", ())))
    elif "caption" in payload:
        content += Formatted(payload["caption"], tuple(payload.get("caption_entities", ())))
    elif "poll" in payload:
        content += Formatted(payload["poll"]["question"])
    prefix = catalogs.text(
        "release.item",
        lang,
        time=_sent_time(catalogs, lang, zone, row.sent_at, released_at),
        sender=payload.get("sender", ""),
        content="\x00",
    )
    before, _, after = prefix.partition("\x00")
    line = Formatted(before) + content + Formatted(after)
    return _Item(line, _media_call(chat_id, row, Formatted(before), after))


def _sent_time(
    catalogs: Catalogs, lang: str, zone: str, sent_at: datetime, released_at: datetime
) -> str:
    """Last night's messages by their time alone; older ones (a weekend) with their date."""
    if released_at - sent_at < _OVERNIGHT:
        return f"{sent_at.astimezone(pytz.timezone(zone)):%H:%M}"
    return when_text(catalogs, lang, sent_at, zone, released_at)


def _media_call(chat_id: int, row: HeldMessage, before: Formatted, after: str) -> Call | None:
    payload = row.payload
    base: dict[str, Any] = {"chat_id": chat_id, "disable_notification": True}
    if row.kind == "poll":
        poll = payload["poll"]
        return Call(
            "sendPoll",
            base
            | {
                "question": poll["question"][:POLL_QUESTION_LIMIT],
                "options": [{"text": option} for option in poll["options"]],
                "is_anonymous": poll["is_anonymous"],
                "allows_multiple_answers": poll["allows_multiple_answers"],
            },
        )
    method = _SEND_MEDIA.get(row.kind)
    if method is None or "file_id" not in payload:
        return None
    call = base | {row.kind: payload["file_id"]}
    if row.kind not in _NO_CAPTION:
        caption = Formatted(payload.get("caption", ""), tuple(payload.get("caption_entities", ())))
        labelled = before + caption + Formatted(after)
        chosen = labelled if labelled.length <= CAPTION_LIMIT else caption
        if chosen.text:
            call |= chosen.fields("caption", "caption_entities")
    return Call(method, call)


def _send_text(chat_id: int, text: Formatted) -> Call:
    return Call(
        "sendMessage",
        {"chat_id": chat_id, "disable_notification": True} | text.fields("text", "entities"),
    )


def _pages(
    catalogs: Catalogs, lang: str, chat_id: int, lines: list[Formatted], header: str
) -> list[Call]:
    count = len(lines)
    widest = catalogs.text(f"{header}.header_part", lang, count=count, part=count, parts=count)
    room = TEXT_LIMIT - utf16_len(widest) - 1
    pages: list[list[Formatted]] = [[]]
    used = 0
    for line in (piece for whole in lines for piece in _fit(whole, room)):
        if pages[-1] and used + 1 + line.length > room:
            pages.append([])
            used = 0
        pages[-1].append(line)
        used += line.length + (1 if used else 0)
    calls = []
    for number, page in enumerate(pages, start=1):
        if len(pages) == 1:
            title = catalogs.text(f"{header}.header", lang, count=count)
        else:
            title = catalogs.text(
                f"{header}.header_part", lang, count=count, part=number, parts=len(pages)
            )
        text = Formatted(title)
        for line in page:
            text += Formatted("\n") + line
        calls.append(_send_text(chat_id, text))
    return calls


def _fit(line: Formatted, room: int) -> list[Formatted]:
    """The line as pieces of at most `room` UTF-16 units (only a giant item is ever cut)."""
    if line.length <= room:
        return [line]
    pieces: list[Formatted] = []
    text, start = line.text, 0
    while start < len(text):
        end = start
        width = 0
        while end < len(text) and width + utf16_len(text[end]) <= room:
            width += utf16_len(text[end])
            end += 1
        offset, stop = utf16_len(text[:start]), utf16_len(text[:end])
        kept = []
        for entity in line.entities:
            low = max(entity["offset"], offset)
            high = min(entity["offset"] + entity["length"], stop)
            if high > low:
                kept.append({**entity, "offset": low - offset, "length": high - low})
        pieces.append(Formatted(text[start:end], tuple(kept)))
        start = end
    return pieces


# ---- storage ---------------------------------------------------------------------------------


async def _claim(
    session: AsyncSession, chat_id: int, now: datetime, ids: Sequence[int] | None = None
) -> list[HeldMessage]:
    """Move the chat's due held messages (or the given ones) to released; them, in order."""
    condition = (HeldMessage.chat_id == chat_id) & (HeldMessage.status == HeldStatus.HELD.value)
    condition &= HeldMessage.id.in_(ids) if ids is not None else HeldMessage.release_at <= now
    claimed = (
        await session.scalars(
            update(HeldMessage)
            .where(condition)
            .values(status=HeldStatus.RELEASED.value, released_at=now)
            .returning(HeldMessage.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    if not claimed:
        return []
    rows = await session.scalars(
        select(HeldMessage)
        .where(HeldMessage.id.in_(claimed))
        .order_by(HeldMessage.sent_at, HeldMessage.message_id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def _enqueue(
    session: AsyncSession,
    calls: list[Call],
    kind: str,
    subject_id: int,
    chat_id: int,
    now: datetime,
) -> None:
    for number, call in enumerate(calls):
        item = Outgoing(kind, chat_id, call.method, call.payload, subject_id, part=str(number))
        await enqueue(session, item, not_before=now)


class Releases:
    """Posts held messages again: the morning digest of a chat, or one message at once."""

    def __init__(
        self,
        base: Essentials,
    ) -> None:
        self._base = base

    async def release_chat(
        self,
        session: AsyncSession,
        chat_id: int,
        preface: Sequence[Formatted] = (),
        header: str = "release",
    ) -> int:
        """Release the chat's due held messages as one digest (after `preface`'s lines, under
        `header`: see compose_release); the number released."""
        now = self._base.clock.now()
        held = await _claim(session, chat_id, now)
        if not held:
            return 0
        policy = await self._base.policy(session, chat_id)
        calls = compose_release(
            self._base.catalogs,
            policy.language,
            policy.timezone,
            chat_id,
            held,
            now,
            preface=preface,
            header=header,
        )
        await _enqueue(session, calls, PAGE_KIND, held[0].id, chat_id, now)
        await _record_deletes(session, held)
        return len(held)

    async def release_now(
        self, session: AsyncSession, policy: GroupPolicy, held: HeldMessage
    ) -> None:
        """Post one held message at once (an edit made it urgent), as the release would."""
        now = self._base.clock.now()
        if not await _claim(session, held.chat_id, now, [held.id]):
            return
        calls = compose_release(
            self._base.catalogs,
            policy.language,
            policy.timezone,
            held.chat_id,
            [held],
            now,
            digest=False,
        )
        reply_to = held.payload.get("reply_to")
        for call in calls:
            call.payload["disable_notification"] = False
            if reply_to is not None:
                call.payload["reply_parameters"] = {
                    "message_id": reply_to,
                    "allow_sending_without_reply": True,
                }
        await _enqueue(session, calls, EDIT_RELEASE_KIND, held.id, held.chat_id, now)

    async def release_due(self) -> datetime | None:
        """The tick: release every group's due held messages; when the next ones fall due."""
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            chats = (
                await session.scalars(
                    select(HeldMessage.chat_id)
                    .where(
                        HeldMessage.status == HeldStatus.HELD.value, HeldMessage.release_at <= now
                    )
                    .distinct()
                )
            ).all()
        for chat_id in chats:
            async with self._base.sessions() as session:
                await self.release_chat(session, chat_id)
                await session.commit()
        async with self._base.sessions() as session:
            upcoming: datetime | None = await session.scalar(
                select(func.min(HeldMessage.release_at)).where(
                    HeldMessage.status == HeldStatus.HELD.value
                )
            )
        return upcoming


async def _record_deletes(session: AsyncSession, held: Sequence[HeldMessage]) -> None:
    """Note which deletes the outbox has done: once here, rather than once per delete at night."""
    waiting = {
        row.message_id: row for row in held if row.delete_status == DeleteStatus.PENDING.value
    }
    if not waiting:
        return
    chat_id = held[0].chat_id
    done = await session.scalars(
        select(OutboxItem.subject_id).where(
            OutboxItem.kind == DELETE_KIND,
            OutboxItem.chat_id == chat_id,
            OutboxItem.subject_id.in_(list(waiting)),
            OutboxItem.status == OutboxStatus.SENT.value,
        )
    )
    for message_id in done:
        if message_id is not None:
            waiting[message_id].delete_status = DeleteStatus.DELETED.value
