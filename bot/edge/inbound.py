"""Telegram's objects turned into the plain values everything past the edge reads."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Chat, Message, MessageEntity, MessageOrigin, User

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

_FILE_ATTRIBUTES = (
    ("photo", AttachmentKind.PHOTO),
    ("video", AttachmentKind.VIDEO),
    ("animation", AttachmentKind.ANIMATION),
    ("document", AttachmentKind.DOCUMENT),
    ("audio", AttachmentKind.AUDIO),
    ("voice", AttachmentKind.VOICE),
    ("video_note", AttachmentKind.VIDEO_NOTE),
    ("sticker", AttachmentKind.STICKER),
)
_PLACE_ATTRIBUTES = (
    ("venue", AttachmentKind.VENUE),
    ("location", AttachmentKind.LOCATION),
    ("contact", AttachmentKind.CONTACT),
    ("dice", AttachmentKind.DICE),
)


def person(user: User) -> Person:
    return Person(
        id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
        is_bot=user.is_bot,
    )


def chat_ref(chat: Chat) -> ChatRef:
    try:
        kind = ChatKind(chat.type)
    except ValueError:
        kind = ChatKind.PRIVATE
    return ChatRef(chat.id, kind, chat.title, chat.username)


def chat_message(message: Message, *, edited: bool = False) -> ChatMessage:
    """A message (new, or `edited`: as it now reads) as plain data."""
    reply = message.reply_to_message
    return ChatMessage(
        chat=chat_ref(message.chat),
        message_id=message.message_id,
        sent_at=_utc(message.date),
        sender=person(message.from_user) if message.from_user is not None else None,
        sender_chat=chat_ref(message.sender_chat) if message.sender_chat is not None else None,
        text=message.text,
        entities=tuple(_entity(e) for e in message.entities),
        caption=message.caption,
        caption_entities=tuple(_entity(e) for e in message.caption_entities),
        attachment=_attachment(message),
        poll=_poll(message),
        reply_to=_reply_target(reply) if reply is not None else None,
        forward=_forward(message.forward_origin) if message.forward_origin is not None else None,
        edited_at=_utc(message.edit_date or message.date) if edited else None,
    )


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC) if instant.tzinfo else instant.replace(tzinfo=UTC)


def _entity(entity: MessageEntity) -> Entity:
    return Entity(
        type=str(entity.type),
        offset=entity.offset,
        length=entity.length,
        url=entity.url,
        user=person(entity.user) if entity.user is not None else None,
        language=entity.language,
        custom_emoji_id=entity.custom_emoji_id,
    )


def _attachment(message: Message) -> Attachment | None:
    for attribute, kind in _FILE_ATTRIBUTES:
        found = getattr(message, attribute, None)
        if found:
            # A photo comes in several sizes; the last is the largest.
            file = found[-1] if isinstance(found, tuple) else found
            return Attachment(
                kind,
                file_id=file.file_id,
                file_unique_id=file.file_unique_id,
                file_name=getattr(file, "file_name", None),
                mime_type=getattr(file, "mime_type", None),
                file_size=file.file_size,
            )
    for attribute, kind in _PLACE_ATTRIBUTES:
        if getattr(message, attribute, None) is not None:
            return Attachment(kind)
    return None


def _poll(message: Message) -> Poll | None:
    poll = message.poll
    if poll is None:
        return None
    return Poll(
        question=poll.question,
        options=tuple(option.text for option in poll.options),
        is_anonymous=poll.is_anonymous,
        type=poll.type,
        allows_multiple_answers=poll.allows_multiple_answers,
    )


def _reply_target(reply: Message) -> ReplyTarget:
    user = reply.from_user
    sender_id = reply.sender_chat.id if reply.sender_chat else (user.id if user else None)
    return ReplyTarget(reply.message_id, sender_id, bool(user and user.is_bot))


def _forward(origin: MessageOrigin) -> Forward:
    return Forward(_origin_name(origin), _utc(origin.date))


def _origin_name(origin: MessageOrigin) -> str:
    for attribute in ("sender_user", "sender_chat", "chat"):
        source = getattr(origin, attribute, None)
        if source is not None:
            return str(getattr(source, "full_name", None) or getattr(source, "title", "") or "")
    return str(getattr(origin, "sender_user_name", "") or "")
