"""Outbox keys of a held message's delete, shared by holding (which enqueues it and hears of
its failure) and release (which records, when releasing, that it was done)."""

from __future__ import annotations

from bot.platform import outbox

DELETE_PREFIX = "held"


def delete_key(chat_id: int, message_id: int) -> str:
    return outbox.delete_key(DELETE_PREFIX, chat_id, message_id)


def parse_delete_key(key: str) -> tuple[int, int] | None:
    """(chat_id, message_id) of a held message's delete key; None for any other key."""
    prefix, _, rest = key.partition(":")
    chat_id, _, message_id = rest.partition(":")
    if prefix != DELETE_PREFIX or not message_id:
        return None
    return int(chat_id), int(message_id)
