"""One canonical form of a chat message, so rules are written once for every way of typing it."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache


def _translation_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
    table[0x3000] = " "  # ideographic space
    # Invisible format characters carry no words: zero-width, joiners, bidi controls, BOM,
    # variation selectors (emoji presentation), soft hyphen.
    invisible = [
        0x00AD,
        0x061C,
        0x180E,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2070),
        0xFEFF,
        *range(0xFE00, 0xFE10),
    ]
    table.update(dict.fromkeys(invisible))
    # NFKC turns ① into a bare "1"; keep it a list number: "①高明" -> "1.高明".
    for offset in range(20):
        table[0x2460 + offset] = f"{offset + 1}."  # ① .. ⑳
        table[0x2474 + offset] = f"({offset + 1})"  # ⑴ .. ⒇
    for offset in range(10):
        table[0x2776 + offset] = f"{offset + 1}."  # ❶ .. ❿
        table[0x2780 + offset] = f"{offset + 1}."  # ➀ .. ➉
        table[0x278A + offset] = f"{offset + 1}."  # ➊ .. ➓
    table[0x20E3] = "."  # the keycap that makes 1️⃣ from "1": a list number too
    return table


_TABLE = _translation_table()
_TABLE_CHARS = re.compile("[" + "".join(re.escape(chr(code)) for code in _TABLE) + "]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r" ?\n[\s]*")


def _replacement(match: re.Match[str]) -> str:
    return _TABLE[ord(match[0])] or ""


@cache
def _traditional_only_chars() -> frozenset[str]:
    """Characters written only in Traditional Chinese, from zhconv's tables.

    Loaded on the first message, not at import: importing zhconv (it pulls in pkg_resources) and
    reading its tables take about a tenth of a second, which start-up should not wait for.
    """
    from zhconv import zhconv as zhconv_tables

    zhconv_tables.getdict("zh-cn")
    tables = zhconv_tables.zhcdicts
    assert tables is not None
    return frozenset(tables["TRADONLY"])


def _simplified(text: str) -> str:
    import zhconv  # loaded with the tables above, on first use

    converted: str = zhconv.convert(text, "zh-cn")
    return converted


@lru_cache(maxsize=4096)
def normalize(text: str) -> str:
    """Simplified Chinese, half-width ASCII, no invisible characters, one space between words.

    Line breaks are kept (lists are line-based) but blank lines and edge spaces are dropped.
    Brackets such as 【】 and emoji, including bracket emoticons like [抱拳], are kept.
    """
    # A regex pass touches only the characters to replace: faster than str.translate here.
    text = _TABLE_CHARS.sub(_replacement, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    # Conversion is the slow step, and only text with a Traditional-only character needs it.
    if not _traditional_only_chars().isdisjoint(text):
        text = _simplified(text)
    text = _SPACES.sub(" ", text)
    if "\n" in text:
        text = _BLANK_LINES.sub("\n", text)
    return text.strip()
