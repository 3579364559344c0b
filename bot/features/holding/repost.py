"""A held message as the store keeps it: everything needed to post it again, as JSON."""

from __future__ import annotations

from typing import Any

from policies.features.holding import Released
from policies.message import FILE_KINDS, ChatMessage, Entity, Person

BUTTON = "button"  # {"instant_reply": bool}: posted again with the acknowledgement button
LEFT_OUT = "left_out"  # true: a plain acknowledgement, not posted again


def repost_content(message: ChatMessage, how: Released) -> tuple[str, dict[str, Any]]:
    """The message's kind and everything needed to post it again (Bot API vocabulary), and
    how it is to be posted."""
    payload: dict[str, Any] = {"sender": message.sender_name}
    if how.button:
        payload[BUTTON] = {"instant_reply": how.instant_reply}
    if how.left_out:
        payload[LEFT_OUT] = True
    if message.text is not None:
        payload["text"] = message.text
        payload["entities"] = [entity_json(e) for e in message.entities]
    if message.caption is not None:
        payload["caption"] = message.caption
        payload["caption_entities"] = [entity_json(e) for e in message.caption_entities]
    if message.reply_to is not None:
        payload["reply_to"] = message.reply_to.message_id
    if message.forward is not None:
        payload["forwarded_from"] = message.forward.origin_name
    kind = "text" if message.text is not None else "other"
    poll = message.poll
    if poll is not None:
        kind = "poll"
        payload["poll"] = {
            "question": poll.question,
            "options": list(poll.options),
            "is_anonymous": poll.is_anonymous,
            "type": poll.type,
            "allows_multiple_answers": poll.allows_multiple_answers,
        }
    attachment = message.attachment
    if attachment is not None and attachment.kind in FILE_KINDS and attachment.file_id:
        kind = str(attachment.kind)
        payload["file_id"] = attachment.file_id
    return kind, payload


def entity_json(entity: Entity) -> dict[str, Any]:
    """A MessageEntity as the Bot API writes it."""
    found: dict[str, Any] = {"type": entity.type, "offset": entity.offset, "length": entity.length}
    if entity.url is not None:
        found["url"] = entity.url
    if entity.user is not None:
        found["user"] = _user_json(entity.user)
    if entity.language is not None:
        found["language"] = entity.language
    if entity.custom_emoji_id is not None:
        found["custom_emoji_id"] = entity.custom_emoji_id
    return found


def _user_json(person: Person) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": person.id,
        "is_bot": person.is_bot,
        "first_name": person.first_name,
    }
    for name in ("last_name", "username", "language_code"):
        value = getattr(person, name)
        if value is not None:
            found[name] = value
    return found
