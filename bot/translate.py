"""Telegram messages turned into what the policies and the store need."""

from __future__ import annotations

from telegram import Message

from policies.decisions import MessageFacts


def message_text(message: Message) -> str:
    """What a person reads: the text, a caption, or a poll's question and options."""
    if message.text is not None:
        return message.text
    if message.caption is not None:
        return message.caption
    if message.poll is not None:
        return "\n".join([message.poll.question, *(o.text for o in message.poll.options)])
    return ""


def is_anonymous_admin(message: Message) -> bool:
    """An anonymous admin posts as the group itself."""
    return message.sender_chat is not None and message.sender_chat.id == message.chat_id


def sender_id(message: Message) -> int:
    """Who is responsible: the user, or the chat a message was posted as."""
    if message.sender_chat is not None:
        return message.sender_chat.id
    return message.from_user.id if message.from_user else 0


def is_command(message: Message) -> bool:
    entities = message.entities or ()
    return any(e.type == "bot_command" and e.offset == 0 for e in entities)


def message_facts(message: Message, *, is_edit: bool, sender_is_admin: bool) -> MessageFacts:
    reply = message.reply_to_message
    return MessageFacts(
        chat_id=message.chat_id,
        message_id=message.message_id,
        sender_id=sender_id(message),
        sent_at=message.date,
        sender_is_admin=sender_is_admin or is_anonymous_admin(message),
        sender_is_bot=bool(message.from_user and message.from_user.is_bot),
        reply_to_message_id=reply.message_id if reply else None,
        is_edit=is_edit,
        is_command=is_command(message),
    )
