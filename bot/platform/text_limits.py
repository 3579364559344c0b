"""Telegram's measure of text: UTF-16 code units, for the 4096 limit and entity offsets."""

from __future__ import annotations

from telegram.constants import MessageLimit

TEXT_LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Messages of at most `limit` UTF-16 units, cut at line ends where possible."""
    parts: list[str] = []
    while utf16_len(text) > limit:
        fits = _fitting_prefix(text, limit)
        newline = text.rfind("\n", 0, fits)
        cut = newline if newline > 0 else fits
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text] if text else parts
