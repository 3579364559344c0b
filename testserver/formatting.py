"""Telegram's HTML parse mode: markup to plain text plus entities, or the error Telegram gives.

MarkdownV2 is not parsed: such text is stored as sent, without entities.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser
from typing import Any

from testserver.world import utf16_len

_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


class HtmlEntityError(ValueError):
    """The markup cannot be parsed; the message is Telegram's wording."""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        # Character references by hand, so that a bare "<" left in the text is seen and refused.
        super().__init__(convert_charrefs=False)
        self.chunks: list[str] = []
        self.position = 0
        self.entities: list[dict[str, Any]] = []
        self.open: list[tuple[str, dict[str, Any]]] = []

    def handle_data(self, data: str) -> None:
        if "<" in data:
            raise HtmlEntityError('Unsupported start tag: a bare "<" must be written as "&lt;"')
        self._text(data)

    def handle_entityref(self, name: str) -> None:
        self._text(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self._text(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        raise HtmlEntityError('Unsupported start tag "!--"')

    def _text(self, data: str) -> None:
        self.chunks.append(data)
        self.position += utf16_len(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        entity: dict[str, Any]
        if tag in _SIMPLE:
            entity = {"type": _SIMPLE[tag]}
        elif tag == "span" and attributes.get("class") == "tg-spoiler":
            entity = {"type": "spoiler"}
        elif tag == "a" and attributes.get("href"):
            href = attributes["href"] or ""
            if href.startswith("tg://user?id="):
                entity = {
                    "type": "text_mention",
                    "user": {"id": int(href.split("=", 1)[1]), "is_bot": False, "first_name": ""},
                }
            else:
                entity = {"type": "text_link", "url": href}
        elif tag == "blockquote":
            expandable = "expandable" in attributes
            entity = {"type": "expandable_blockquote" if expandable else "blockquote"}
        elif tag == "tg-emoji" and attributes.get("emoji-id"):
            entity = {"type": "custom_emoji", "custom_emoji_id": attributes["emoji-id"]}
        else:
            raise HtmlEntityError(f'Unsupported start tag "{tag}"')
        language = attributes.get("class") or ""
        if (
            tag == "code"
            and self.open
            and self.open[-1][0] == "pre"
            and language.startswith("language-")
        ):
            self.open[-1][1]["language"] = language.removeprefix("language-")
            entity = {"type": "_code_in_pre"}
        entity["offset"] = self.position
        self.open.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            raise HtmlEntityError(f'Unmatched end tag "{tag}"')
        expected, entity = self.open.pop()
        if expected != tag:
            raise HtmlEntityError(f'Unmatched end tag, expected "</{expected}>", found "</{tag}>"')
        length = self.position - entity["offset"]
        if length > 0 and entity["type"] != "_code_in_pre":
            entity["length"] = length
            self.entities.append(entity)


def parse_html(markup: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities (ordered by offset) of HTML-formatted text."""
    parser = _Parser()
    parser.feed(markup)
    parser.close()
    if parser.open:
        tag = parser.open[-1][0]
        raise HtmlEntityError(f'Can\'t find end tag corresponding to start tag "{tag}"')
    entities = sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))
    return "".join(parser.chunks), entities
