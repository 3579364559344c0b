"""Telegram Desktop exports written the way tdesktop writes them, for tests and benchmarks:
indented, control characters as \\xHH (not JSON), text as a string or a list of parts,
`date` in local time without offset beside `date_unixtime`, `from` null for deleted accounts,
service entries, chat ids without Bot API prefixes; one chat or a full export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

import pytz


def tdesktop_string(value: str) -> str:
    """A JSON string as tdesktop's SerializeString writes it (\\xHH for control characters)."""
    out = ['"']
    for char in value:
        if char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif ord(char) < 32:
            out.append(f"\\x{ord(char):02X}")
        elif char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def serialized(value: Any, indent: int = 0) -> str:
    """Any JSON value, strings in tdesktop's escaping, objects one key a line."""
    if isinstance(value, str):
        return tdesktop_string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = ",\n".join(inner + serialized(item, indent + 1) for item in value)
        return f"[\n{items}\n{pad}]"
    items = ",\n".join(
        f"{inner}{tdesktop_string(key)}: {serialized(item, indent + 1)}"
        for key, item in value.items()
    )
    return f"{{\n{items}\n{pad}}}"


@dataclass
class Message:
    """One entry to write; `parts` (a list of strings and {type, text} objects) beats `text`."""

    id: int
    at: datetime  # aware
    text: str = ""
    sender_id: int | None = 1001  # a user; None: no from/from_id at all
    sender_name: str | None = "张三"  # None with a sender_id: a deleted account
    from_prefix: str = "user"
    parts: list[Any] | None = None
    service: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def entry(self, zone: str) -> dict[str, Any]:
        local = self.at.astimezone(pytz.timezone(zone)).replace(tzinfo=None)
        entry: dict[str, Any] = {
            "id": self.id,
            "type": "service" if self.service else "message",
            "date": local.isoformat(),
            "date_unixtime": str(int(self.at.timestamp())),
        }
        if self.service:
            entry |= {"actor": self.sender_name, "actor_id": f"user{self.sender_id}"}
            entry |= {"action": "invite_members", "members": ["李四"]}
            entry |= {"text": "", "text_entities": []}
            return entry
        if self.sender_id is not None:
            entry["from"] = self.sender_name
            entry["from_id"] = f"{self.from_prefix}{self.sender_id}"
        entry |= self.extra
        parts = self.parts if self.parts is not None else ([self.text] if self.text else [])
        entry["text"] = parts[0] if len(parts) == 1 and isinstance(parts[0], str) else parts
        entry["text_entities"] = [
            {"type": "plain", "text": p} if isinstance(p, str) else p for p in parts
        ]
        return entry


@dataclass
class ExportChat:
    id: int  # bare, as tdesktop writes it
    name: str
    type: str = "private_supergroup"
    messages: Iterable[Message] = ()


def write_chat_body(out: TextIO, chat: ExportChat, zone: str, indent: int) -> None:
    """One chat object, its messages written one by one (a generator stays a generator)."""
    pad, inner = " " * indent, " " * (indent + 1)
    out.write(f'{{\n{inner}"name": {tdesktop_string(chat.name)},\n')
    out.write(f'{inner}"type": "{chat.type}",\n{inner}"id": {chat.id},\n{inner}"messages": [')
    first = True
    for message in chat.messages:
        out.write(("\n" if first else ",\n") + " " * (indent + 2))
        out.write(serialized(message.entry(zone), indent + 2))
        first = False
    out.write(f"\n{inner}]\n{pad}}}" if not first else f"]\n{pad}}}")


def write_single(out: TextIO, chat: ExportChat, zone: str = "Asia/Shanghai") -> None:
    write_chat_body(out, chat, zone, 0)
    out.write("\n")


def write_full(
    out: TextIO,
    chats: list[ExportChat],
    left: list[ExportChat] = (),  # type: ignore[assignment]
    zone: str = "Asia/Shanghai",
) -> None:
    """A full export: personal data and contacts first, as tdesktop writes them."""
    out.write('{\n "about": "Here is the data you requested.",\n')
    out.write(' "personal_information": {\n  "user_id": 1001,\n  "first_name": "张三",\n')
    out.write('  "phone_number": "+86 000"\n },\n')
    out.write(' "contacts": {\n  "about": "x",\n  "list": [\n   {"first_name": "李四"}\n  ]\n },\n')
    for section, listed in (("chats", chats), ("left_chats", left)):
        if not listed:
            continue
        out.write(f' "{section}": {{\n  "about": "x",\n  "list": [\n   ')
        for index, chat in enumerate(listed):
            if index:
                out.write(",\n   ")
            write_chat_body(out, chat, zone, 3)
        out.write("\n  ]\n },\n")
    out.write(' "other_data": {\n  "messages": [1, 2]\n }\n}\n')


def numbered(start: int, messages: Iterable[Message]) -> Iterator[Message]:
    """The messages with ids counting up from `start`."""
    for offset, message in enumerate(messages):
        message.id = start + offset
        yield message
