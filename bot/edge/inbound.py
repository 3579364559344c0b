"""Telegram's updates turned into the plain values everything past the edge reads.

The translation reads Bot API JSON: the update stream gives it the JSON of a group message as
it came (parsing a whole PTB Update costs more than the rest of a message's handling), and a
PTB object is first written back as JSON (`to_dict`), so one translation serves both.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from telegram import Chat, Message, User

from policies.message import (
    Attachment,
    AttachmentKind,
    ChatKind,
    ChatMessage,
    ChatRef,
    Entity,
    Forward,
    Person,
    Poll,
    ReplyTarget,
)

JSON = Mapping[str, Any]

_FILE_KINDS = (
    AttachmentKind.PHOTO,
    AttachmentKind.VIDEO,
    AttachmentKind.ANIMATION,
    AttachmentKind.DOCUMENT,
    AttachmentKind.AUDIO,
    AttachmentKind.VOICE,
    AttachmentKind.VIDEO_NOTE,
    AttachmentKind.STICKER,
)
_PLACE_KINDS = (
    AttachmentKind.VENUE,
    AttachmentKind.LOCATION,
    AttachmentKind.CONTACT,
    AttachmentKind.DICE,
)
# What a message people write carries; a service message (a member joined, a pin …) has none.
_CONTENT = frozenset({"text", "caption", "poll", *_FILE_KINDS, *_PLACE_KINDS})
_GROUPS = frozenset({"group", "supergroup"})


def person(user: User) -> Person:
    return person_of(user.to_dict())


def chat_ref(chat: Chat) -> ChatRef:
    return chat_of(chat.to_dict())


def chat_message(message: Message, *, edited: bool = False) -> ChatMessage:
    """A message (new, or `edited`: as it now reads) as plain data."""
    return message_of(message.to_dict(), edited=edited)


def plain_group_message(update: JSON) -> ChatMessage | None:
    """The group message an update (Bot API JSON) carries, when it is one people wrote and not
    a command; None for anything else."""
    data = update.get("message")
    edited = data is None
    if edited:
        data = update.get("edited_message")
    if not isinstance(data, Mapping) or data.get("chat", {}).get("type") not in _GROUPS:
        return None
    if _CONTENT.isdisjoint(data) or _is_command(data):
        return None
    return message_of(data, edited=edited)


def person_of(data: JSON) -> Person:
    return Person(
        id=int(data["id"]),
        first_name=str(data.get("first_name", "")),
        last_name=data.get("last_name"),
        username=data.get("username"),
        language_code=data.get("language_code"),
        is_bot=bool(data.get("is_bot", False)),
    )


def chat_of(data: JSON) -> ChatRef:
    try:
        kind = ChatKind(str(data.get("type")))
    except ValueError:
        kind = ChatKind.PRIVATE
    return ChatRef(int(data["id"]), kind, data.get("title"), data.get("username"))


def message_of(data: JSON, *, edited: bool = False) -> ChatMessage:
    reply = data.get("reply_to_message")
    sender, sender_chat = data.get("from"), data.get("sender_chat")
    origin = data.get("forward_origin")
    return ChatMessage(
        chat=chat_of(data["chat"]),
        message_id=int(data["message_id"]),
        sent_at=_utc(data["date"]),
        sender=person_of(sender) if sender else None,
        sender_chat=chat_of(sender_chat) if sender_chat else None,
        text=data.get("text"),
        entities=tuple(_entity(e) for e in data.get("entities", ())),
        caption=data.get("caption"),
        caption_entities=tuple(_entity(e) for e in data.get("caption_entities", ())),
        attachment=_attachment(data),
        poll=_poll(data["poll"]) if "poll" in data else None,
        reply_to=_reply_target(reply) if reply else None,
        forward=_forward(origin) if origin else None,
        edited_at=_utc(data.get("edit_date") or data["date"]) if edited else None,
    )


def _utc(timestamp: int | float | datetime) -> datetime:
    if isinstance(timestamp, datetime):
        return timestamp.astimezone(UTC)
    return datetime.fromtimestamp(timestamp, UTC)


def _is_command(data: JSON) -> bool:
    return any(
        e.get("type") == "bot_command" and e.get("offset") == 0 for e in data.get("entities", ())
    )


def _entity(data: JSON) -> Entity:
    user = data.get("user")
    return Entity(
        type=str(data["type"]),
        offset=int(data["offset"]),
        length=int(data["length"]),
        url=data.get("url"),
        user=person_of(user) if user else None,
        language=data.get("language"),
        custom_emoji_id=data.get("custom_emoji_id"),
    )


def _attachment(data: JSON) -> Attachment | None:
    for kind in _FILE_KINDS:
        found = data.get(kind)
        if found:
            # A photo comes in several sizes; the last is the largest.
            file = found[-1] if isinstance(found, list) else found
            return Attachment(
                kind,
                file_id=file.get("file_id"),
                file_unique_id=file.get("file_unique_id"),
                file_name=file.get("file_name"),
                mime_type=file.get("mime_type"),
                file_size=file.get("file_size"),
            )
    for kind in _PLACE_KINDS:
        if data.get(kind) is not None:
            return Attachment(kind)
    return None


def _poll(data: JSON) -> Poll:
    return Poll(
        question=str(data.get("question", "")),
        options=tuple(str(option.get("text", "")) for option in data.get("options", ())),
        is_anonymous=bool(data.get("is_anonymous", True)),
        type=str(data.get("type", "regular")),
        allows_multiple_answers=bool(data.get("allows_multiple_answers", False)),
    )


def _reply_target(reply: JSON) -> ReplyTarget:
    user, sender_chat = reply.get("from"), reply.get("sender_chat")
    sender_id = sender_chat["id"] if sender_chat else (user["id"] if user else None)
    return ReplyTarget(int(reply["message_id"]), sender_id, bool(user and user.get("is_bot")))


def _forward(origin: JSON) -> Forward:
    return Forward(_origin_name(origin), _utc(origin["date"]) if "date" in origin else None)


def _origin_name(origin: JSON) -> str:
    user = origin.get("sender_user")
    if user:
        return person_of(user).full_name
    for key in ("sender_chat", "chat"):
        chat = origin.get(key)
        if chat:
            return str(chat.get("title") or chat.get("username") or "")
    return str(origin.get("sender_user_name", "") or "")
