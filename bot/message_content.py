"""A group message as the store keeps it: everything needed to post it again, as JSON."""

from __future__ import annotations

from typing import Any

from telegram import Message, MessageOrigin

_MEDIA = ("photo", "video", "animation", "document", "audio", "voice", "video_note", "sticker")


def held_content(message: Message) -> tuple[str, dict[str, Any]]:
    """The message's kind and everything needed to post it again, as JSON."""
    payload: dict[str, Any] = {"sender": sender_name(message)}
    if message.text is not None:
        payload["text"] = message.text
        payload["entities"] = [e.to_dict() for e in message.entities]
    if message.caption is not None:
        payload["caption"] = message.caption
        payload["caption_entities"] = [e.to_dict() for e in message.caption_entities]
    if message.reply_to_message is not None:
        payload["reply_to"] = message.reply_to_message.message_id
    if message.forward_origin is not None:
        payload["forward_origin"] = message.forward_origin.to_dict()
        payload["forwarded_from"] = origin_name(message.forward_origin)
    kind = "text" if message.text is not None else "other"
    if message.poll is not None:
        kind = "poll"
        poll = message.poll
        payload["poll"] = {
            "question": poll.question,
            "options": [option.text for option in poll.options],
            "is_anonymous": poll.is_anonymous,
            "type": poll.type,
            "allows_multiple_answers": poll.allows_multiple_answers,
        }
    for media in _MEDIA:
        attachment = getattr(message, media, None)
        if attachment:
            kind = media
            # A photo comes in several sizes; the last is the largest.
            file = attachment[-1] if isinstance(attachment, tuple) else attachment
            payload["file_id"] = file.file_id
            break
    return kind, payload


def sender_name(message: Message) -> str:
    """The name members know the sender by: the user, or the chat an anonymous admin posts as."""
    if message.sender_chat is not None:
        return message.sender_chat.title or message.sender_chat.effective_name or ""
    return message.from_user.full_name if message.from_user else ""


def origin_name(origin: MessageOrigin) -> str:
    for attribute in ("sender_user", "sender_chat", "chat"):
        source = getattr(origin, attribute, None)
        if source is not None:
            return str(getattr(source, "full_name", None) or getattr(source, "title", "") or "")
    return str(getattr(origin, "sender_user_name", "") or "")
