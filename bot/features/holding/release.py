"""Held messages back into their group at the next work start: one silent digest, exactly once.

The database decides what is released: a tick claims a chat's due held messages by moving
them from held to releasing in the same transaction that enqueues the digest, one release page
per call, each held message pointing at the page that carries it. A second tick, another
instance or a restart finds nothing left to claim, and the outbox sends each page exactly once.
A held message is released when its page is delivered; a page refused because the bot is not
in the group leaves what it carries held until the bot is back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytz
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.holding.repost import BUTTON, LEFT_OUT
from bot.features.notices.tell import reachable_admins
from bot.platform.essentials import Essentials
from bot.platform.gateway import Gateway
from bot.platform.i18n import Catalogs, language_for
from bot.platform.inputs import MemberChange
from bot.platform.outbox.items import Outgoing, Settled
from bot.platform.outbox.store import enqueue
from bot.platform.policy_text import when_text
from bot.platform.storage.known import forget_chat
from bot.platform.storage.models import (
    Chat,
    DeleteStatus,
    HeldMessage,
    HeldStatus,
    OutboxItem,
    OutboxStatus,
    ReleasePage,
)
from bot.platform.text_limits import TEXT_LIMIT, utf16_len
from policies.group_policy import GroupPolicy

DELETE_KIND = "held/delete"
PAGE_KIND = "release/page"  # subject: the release page (a digest page, a re-sent file …)
EDIT_RELEASE_KIND = "release/edit"  # subject: the release page of a message an edit made urgent
PENDING_KIND = "release/pending"  # to an admin: what the group still holds (subject: the chat)
FORBIDDEN = "Forbidden"  # how a refusal by Telegram (403: kicked, removed) is reported
GAVE_UP = "gave up after"  # how the outbox reports a call it stopped retrying
GONE = frozenset({"left", "kicked"})
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
log = logging.getLogger(__name__)
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
class Post:
    """One call of a release and what it carries: the held messages (by id) released when it
    is delivered, and the demand (a held id) that gets its acknowledgement button on it."""

    call: Call
    carries: tuple[int, ...] = ()
    button: int | None = None
    instant_reply: bool = False


@dataclass(frozen=True)
class _Line:
    """A line of a digest page: the held message it carries, when the page is what posts it,
    and whether it is a demand that gets its button on the page."""

    text: Formatted
    carries: int | None = None
    button: bool = False
    instant_reply: bool = False


@dataclass(frozen=True)
class _Item:
    line: _Line
    media: Post | None


def compose_release(
    catalogs: Catalogs,
    lang: str,
    zone: str,
    chat_id: int,
    held: Sequence[HeldMessage],
    released_at: datetime,
    *,
    digest: bool = True,
    left_out: int = 0,
    late: bool = False,
    preface: Sequence[Formatted] = (),
    family: str = "release",
) -> list[Post]:
    """The calls that post `held` (in the order given): digest pages, then media and polls.

    A digest page is at most TEXT_LIMIT long, carries at most one demand's button and never
    cuts an item, unless one item alone is too long for a page. Its first lines say why it is
    late (`late`: the bot was not in the group when it was due) and how many plain
    acknowledgements were `left_out`. Without `digest` (one message released early) there is
    no header. `preface`: lines listed before the held messages, under the headers of `family`
    (the group digest, when it is due with the release: one message, not two).
    """
    items = [_item(catalogs, lang, zone, chat_id, row, released_at) for row in held]
    if digest:
        notes = [catalogs.text("release.late", lang)] if late else []
        if left_out:
            notes.append(catalogs.text("release.left_out", lang, count=left_out))
        lines = [_Line(Formatted(note)) for note in notes] + [_Line(line) for line in preface]
        lines += [item.line for item in items]
        posts = _pages(catalogs, lang, chat_id, len(preface) + len(items), lines, family)
    else:
        posts = [
            post for item in items if item.media is None for post in _alone(chat_id, item.line)
        ]
    posts += [item.media for item in items if item.media is not None]
    return posts


def _item(
    catalogs: Catalogs, lang: str, zone: str, chat_id: int, row: HeldMessage, released_at: datetime
) -> _Item:
    payload = row.payload
    prefix = catalogs.text(
        "release.item",
        lang,
        time=_sent_time(catalogs, lang, zone, row.sent_at, released_at),
        sender=payload.get("sender", ""),
        content="\x00",
    )
    before, _, after = prefix.partition("\x00")
    button = payload.get(BUTTON)
    instant = bool(button and button.get("instant_reply"))
    media = _media_call(chat_id, row, Formatted(before), after)
    parts: list[Formatted] = []
    if "forwarded_from" in payload:
        parts.append(
            Formatted(catalogs.text("release.forwarded", lang, origin=payload["forwarded_from"]))
        )
    if row.kind in _LABELLED:
        parts.append(Formatted(catalogs.text(f"release.media.{row.kind}", lang)))
    elif row.kind != "text":
        parts.append(Formatted(catalogs.text("release.media.other", lang)))
    if "text" in payload:
        parts.append(Formatted(payload["text"], tuple(payload.get("entities", ()))))
    elif "caption" in payload and (media is None or "caption" not in media.payload):
        # A caption the re-sent file carries is said there, not twice.
        parts.append(Formatted(payload["caption"], tuple(payload.get("caption_entities", ()))))
    elif "poll" in payload:
        parts.append(Formatted(payload["poll"]["question"]))
    content = Formatted("")
    for number, part in enumerate(parts):
        content += part if number == 0 else Formatted(" ") + part
    line = Formatted(before) + content + Formatted(after)
    if media is not None:
        post = Post(media, (row.id,), row.id if button else None, instant)
        return _Item(_Line(line), post)
    return _Item(_Line(line, row.id, button is not None, instant), None)


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
    catalogs: Catalogs, lang: str, chat_id: int, count: int, lines: list[_Line], family: str
) -> list[Post]:
    widest = catalogs.text(f"{family}.header_part", lang, count=count, part=count, parts=count)
    room = TEXT_LIMIT - utf16_len(widest) - 1
    pages: list[list[Formatted]] = [[]]
    carried: list[list[int]] = [[]]
    buttons: list[_Line | None] = [None]
    used = 0
    for line in lines:
        for number, piece in enumerate(_fit(line.text, room)):
            full = pages[-1] and used + 1 + piece.length > room
            second_button = line.button and number == 0 and buttons[-1] is not None
            if full or second_button:
                pages.append([])
                carried.append([])
                buttons.append(None)
                used = 0
            pages[-1].append(piece)
            used += piece.length + (1 if used else 0)
            if line.button and number == 0:
                buttons[-1] = line
        if line.carries is not None:
            carried[-1].append(line.carries)
    posts = []
    for number, page in enumerate(pages, start=1):
        if len(pages) == 1:
            header = catalogs.text(f"{family}.header", lang, count=count)
        else:
            header = catalogs.text(
                f"{family}.header_part", lang, count=count, part=number, parts=len(pages)
            )
        text = Formatted(header)
        for piece in page:
            text += Formatted("\n") + piece
        demand = buttons[number - 1]
        posts.append(
            Post(
                _send_text(chat_id, text),
                tuple(carried[number - 1]),
                demand.carries if demand is not None else None,
                demand is not None and demand.instant_reply,
            )
        )
    return posts


def _alone(chat_id: int, line: _Line) -> list[Post]:
    """A message posted on its own: its first piece gets the button, its last carries it."""
    pieces = _fit(line.text, TEXT_LIMIT)
    last = len(pieces) - 1
    return [
        Post(
            _send_text(chat_id, piece),
            (line.carries,) if number == last and line.carries is not None else (),
            line.carries if number == 0 and line.button else None,
            line.instant_reply,
        )
        for number, piece in enumerate(pieces)
    ]


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
    """Move the chat's due held messages (or the given ones) to releasing; them, in order."""
    condition = (HeldMessage.chat_id == chat_id) & (HeldMessage.status == HeldStatus.HELD.value)
    condition &= HeldMessage.id.in_(ids) if ids is not None else HeldMessage.release_at <= now
    claimed = (
        await session.scalars(
            update(HeldMessage)
            .where(condition)
            .values(status=HeldStatus.RELEASING.value)
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


async def _bot_away(session: AsyncSession, chat_id: int) -> bool:
    """Whether the bot is known to be out of the group (removed, not yet added back)."""
    chat = await session.get(Chat, chat_id)
    return chat is not None and chat.left_at is not None


def _not_in_group(settled: Settled) -> bool:
    """Telegram refused the call because the bot is not in the group (403: kicked, removed)."""
    return settled.reason.startswith(FORBIDDEN)


def _gave_up(settled: Settled) -> bool:
    """The outbox gave up after retrying (timeouts, 5xx): not the call's fault."""
    return GAVE_UP in settled.reason


OpenButton = Callable[
    [AsyncSession, int, int, int | None, bool, Sequence[tuple[int, int]]], Awaitable[None]
]
"""Gives a posted message (chat id, message id) the acknowledgement button and tally of a
demand by the requester (user id), noting an instant-reply demand, with the acknowledgements
(user id, message id) it has already; in the caller's session."""


class Releases:
    """Posts held messages again: the morning digest of a chat, or one message at once.

    A held message is released when the call that carries it is delivered (on_posted). When
    Telegram answers that the bot is not in the group, what it carries stays held, the chat
    waits until the bot is added back (on_bot_membership), and the release then says why late.
    """

    def __init__(
        self,
        base: Essentials,
        gateway: Gateway,
        open_button: OpenButton,
    ) -> None:
        self._base = base
        self._gateway = gateway
        self._open_button = open_button

    async def release_chat(
        self,
        session: AsyncSession,
        chat_id: int,
        preface: Sequence[Formatted] = (),
        family: str = "release",
    ) -> int:
        """Release the chat's due held messages as one digest (after `preface`'s lines, under
        `family`'s headers: see compose_release); the number taken."""
        now = self._base.clock.now()
        if await _bot_away(session, chat_id):
            return 0
        held = await _claim(session, chat_id, now)
        if not held:
            return 0
        # A message whose delete was refused never left the group: posting it would show it twice.
        stayed = [row for row in held if row.delete_status == DeleteStatus.FAILED.value]
        for row in stayed:
            row.status, row.released_at = HeldStatus.RELEASED.value, now
        omitted = [row for row in held if row not in stayed and row.payload.get(LEFT_OUT)]
        for row in omitted:
            row.status, row.released_at = HeldStatus.OMITTED.value, now
        shown = [row for row in held if row not in stayed and row not in omitted]
        if shown or preface:
            policy = await self._base.policy(session, chat_id)
            posts = compose_release(
                self._base.catalogs,
                policy.language,
                policy.timezone,
                chat_id,
                shown,
                now,
                left_out=len(omitted),
                late=any(row.release_failed_at is not None for row in shown),
                preface=preface,
                family=family,
            )
            await _enqueue(session, posts, PAGE_KIND, shown, chat_id, now)
        await _record_deletes(session, held)
        return len(held)

    async def release_now(
        self, session: AsyncSession, policy: GroupPolicy, held: HeldMessage
    ) -> None:
        """Post one held message at once (an edit made it urgent), as the release would."""
        now = self._base.clock.now()
        if not await _claim(session, held.chat_id, now, [held.id]):
            return
        posts = compose_release(
            self._base.catalogs,
            policy.language,
            policy.timezone,
            held.chat_id,
            [held],
            now,
            digest=False,
        )
        reply_to = held.payload.get("reply_to")
        for post in posts:
            post.call.payload["disable_notification"] = False
            if reply_to is not None:
                post.call.payload["reply_parameters"] = {
                    "message_id": reply_to,
                    "allow_sending_without_reply": True,
                }
        await _enqueue(session, posts, EDIT_RELEASE_KIND, [held], held.chat_id, now)

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
                    HeldMessage.status == HeldStatus.HELD.value,
                    HeldMessage.release_at > now,
                )
            )
        return upcoming

    async def on_posted(self, settled: Settled) -> None:
        """A release's call ended. Delivered: what it carries is released, and a demand on it
        gets its button. Refused because the bot is not in the group: what it carries stays
        held for when the bot is back. Given up after retries: held, for the next tick. Refused
        otherwise (a malformed call): released as far as it can be, and logged."""
        away = _not_in_group(settled) and not await self._bot_present(settled.chat_id)
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            page = await session.get(ReleasePage, settled.subject_id or 0)
            if page is None:
                return
            rows = list(
                await session.scalars(
                    select(HeldMessage).where(
                        HeldMessage.page_id == page.id,
                        HeldMessage.status == HeldStatus.RELEASING.value,
                    )
                )
            )
            if settled.sent or not (_not_in_group(settled) or _gave_up(settled)):
                if not settled.sent:
                    log.warning(
                        "release: page %s of chat %s failed: %s",
                        page.id,
                        page.chat_id,
                        settled.reason,
                    )
                for row in rows:
                    row.status, row.released_at = HeldStatus.RELEASED.value, now
            else:
                for row in rows:
                    row.status, row.page_id = HeldStatus.HELD.value, None
                    if _not_in_group(settled):
                        row.release_failed_at = now
            if settled.sent:
                page.message_id, page.delivered_at = settled.message_id, now
                await self._button(session, page)
            if away:
                await _mark_away(session, page.chat_id, now)
            await session.commit()

    async def _bot_present(self, chat_id: int) -> bool:
        """Telegram's word on whether the bot is in the group now (after a refusal: it may
        have been added back meanwhile)."""
        member = await self._gateway.membership(chat_id, self._gateway.bot_id)
        return member is not None and member.is_present

    async def _button(self, session: AsyncSession, page: ReleasePage) -> None:
        if page.ack_for is None or page.message_id is None:
            return
        demand = await session.get(HeldMessage, page.ack_for)
        if demand is None:
            return
        # Acknowledgements of the demand held with it were left out of the digest: they count.
        answers = await session.execute(
            select(HeldMessage.sender_id, HeldMessage.message_id, HeldMessage.payload).where(
                HeldMessage.chat_id == page.chat_id,
                HeldMessage.status == HeldStatus.OMITTED.value,
                HeldMessage.message_id > demand.message_id,
            )
        )
        acknowledged = [
            (sender, message_id)
            for sender, message_id, payload in answers
            if sender is not None and payload.get("reply_to") == demand.message_id
        ]
        await self._open_button(
            session,
            page.chat_id,
            page.message_id,
            demand.sender_id,
            page.instant_reply,
            acknowledged,
        )

    async def on_bot_membership(self, change: MemberChange) -> None:
        """The bot was removed from a group: its admins are told privately what it still holds
        there. It was added back: what is due is released now, saying why late."""
        if not change.chat.is_group:
            return
        chat_id = change.chat.id
        async with self._base.sessions() as session:
            if change.new_status in GONE:
                await self._tell_admins_pending(session, change)
            elif change.old_status in GONE:
                await self.release_chat(session, chat_id)
            await session.commit()

    async def _tell_admins_pending(self, session: AsyncSession, change: MemberChange) -> None:
        chat_id = change.chat.id
        pending = await session.scalar(
            select(func.count())
            .select_from(HeldMessage)
            .where(
                HeldMessage.chat_id == chat_id,
                HeldMessage.status.in_((HeldStatus.HELD.value, HeldStatus.RELEASING.value)),
            )
        )
        if not pending:
            return
        chat = await session.get(Chat, chat_id)
        title = (chat.title if chat is not None else None) or change.chat.title or ""
        policy = await self._base.policy(session, chat_id)
        for admin in await reachable_admins(session, chat_id):
            lang = language_for(admin.language_code, policy.language)
            text = self._base.catalogs.text(
                "release.pending_admins", lang, group=title, count=int(pending)
            )
            notice = Outgoing(
                PENDING_KIND,
                admin.user_id,
                "sendMessage",
                {"chat_id": admin.user_id, "text": text},
                subject_id=chat_id,
                part=str(change.update_id),
            )
            await enqueue(session, notice, not_before=self._base.clock.now())


async def _mark_away(session: AsyncSession, chat_id: int, now: datetime) -> None:
    """The bot is out of the group: nothing is released there until it is added back."""
    chat = await session.get(Chat, chat_id)
    if chat is not None and chat.left_at is None:
        chat.left_at = now
        forget_chat(session, chat_id)


async def _enqueue(
    session: AsyncSession,
    posts: list[Post],
    kind: str,
    held: Sequence[HeldMessage],
    chat_id: int,
    now: datetime,
) -> None:
    """One release page per post, the held messages it carries pointing at it, and its call."""
    rows = {row.id: row for row in held}
    for post in posts:
        page = ReleasePage(
            chat_id=chat_id,
            created_at=now,
            ack_for=post.button,
            instant_reply=post.instant_reply,
        )
        session.add(page)
        await session.flush()
        for held_id in post.carries:
            rows[held_id].page_id = page.id
        call = post.call
        item = Outgoing(kind, chat_id, call.method, call.payload, subject_id=page.id)
        await enqueue(session, item, not_before=now)


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
