"""A Telegram Desktop export (JSON) read as a stream of ChatMessage values.

The second edge beside the Update translator: nothing after it sees the export's shape. What
tdesktop writes is not quite JSON, and can run to gigabytes:
- control characters come out as \\xHH, which JSON does not know: the byte stream rewrites them
  to \\u00HH before the parser sees them;
- `text` is a string or a list of parts, `text_entities` always a list of parts (old exports
  lack it); `date` is the exporter's local time without an offset, so `date_unixtime` is read;
- `from` is null for a deleted account; service entries (joins, pins, calls) are not messages;
- chat ids lack Bot API's prefixes (-100 for supergroups and channels, - for basic groups).
One chat exports as {name, type, id, messages}; a full export lists its chats under chats.list
and left_chats.list. The parser (ijson's C backend) builds the document as it reads; before each
new chunk the messages completed so far are taken out of it and handed on, so memory stays
bounded by a chunk whatever the size of the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import ijson

from bot.platform.errors import FatalError
from bot.platform.text_limits import utf16_len
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

CHUNK_BYTES = 1 << 16
MAX_EXAMPLES = 20
"""Corrupt messages named one by one; beyond that they are only counted."""

EXPORT_HOWTO = "in Telegram Desktop: Settings > Advanced > Export Telegram data, Format: JSON"

_CHANNEL_ID_BASE = 1_000_000_000_000  # Bot API: -100… for supergroups and channels
_CHAT_KINDS = {
    "private_group": ChatKind.GROUP,
    "private_supergroup": ChatKind.SUPERGROUP,
    "public_supergroup": ChatKind.SUPERGROUP,
    "private_channel": ChatKind.CHANNEL,
    "public_channel": ChatKind.CHANNEL,
    "personal_chat": ChatKind.PRIVATE,
    "bot_chat": ChatKind.PRIVATE,
    "saved_messages": ChatKind.PRIVATE,
    "replies": ChatKind.PRIVATE,
}
# tdesktop's names for text parts, in Bot API vocabulary; the rest (plain, bank_card, unknown)
# are text without an entity.
_ENTITY_TYPES = {
    "mention": "mention",
    "hashtag": "hashtag",
    "cashtag": "cashtag",
    "bot_command": "bot_command",
    "link": "url",
    "email": "email",
    "phone": "phone_number",
    "bold": "bold",
    "italic": "italic",
    "underline": "underline",
    "strikethrough": "strikethrough",
    "spoiler": "spoiler",
    "blockquote": "blockquote",
    "expandable_blockquote": "expandable_blockquote",
    "code": "code",
    "pre": "pre",
    "text_link": "text_link",
    "mention_name": "text_mention",
    "custom_emoji": "custom_emoji",
}
_MEDIA_KINDS = {
    "sticker": AttachmentKind.STICKER,
    "video_message": AttachmentKind.VIDEO_NOTE,
    "voice_message": AttachmentKind.VOICE,
    "animation": AttachmentKind.ANIMATION,
    "video_file": AttachmentKind.VIDEO,
    "audio_file": AttachmentKind.AUDIO,
}
_SENDER_PREFIXES = ("user", "channel", "chat")
_KEPT_KEYS = frozenset({"name", "type", "id", "messages", "chats", "left_chats"})
# A backslash escapes one character; \\ is matched whole so that \\x stays a backslash and an x.
_ESCAPE = re.compile(rb"\\[\\x]")
_BACKSLASH = 0x5C


class ExportError(FatalError):
    """The file cannot be audited: what is wrong with it and what to do, in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


@dataclass(frozen=True, slots=True)
class CorruptMessage:
    chat_id: int
    message_id: object  # as the file has it; None when it has none
    problem: str


@dataclass(slots=True)
class ExportSummary:
    """What was in the export beside the messages handed on."""

    kind: str = ""  # "chat" (one chat exported) or "full" (the account's data)
    group_chats: int = 0
    other_chats: int = 0  # private chats and channels: Jianfu works in groups only
    messages: int = 0  # entries of type "message" in group chats, corrupt ones included
    service: int = 0
    unsupported: int = 0
    corrupt: int = 0
    corrupt_examples: list[CorruptMessage] = field(default_factory=list)


def export_file(path: Path) -> Path:
    """The result.json to read for `path` (the export's folder or the file itself)."""
    if path.is_dir():
        result = path / "result.json"
        if result.is_file():
            return result
        if (path / "messages.html").exists() or (path / "export_results.html").exists():
            raise ExportError(f"{path} is an HTML export; export the chat again {EXPORT_HOWTO}")
        raise ExportError(f"{path} holds no result.json; give the export's folder or its file")
    if path.suffix.lower() in (".html", ".htm"):
        raise ExportError(f"{path} is an HTML export; export the chat again {EXPORT_HOWTO}")
    if not path.exists():
        raise ExportError(f"{path}: file not found; give the result.json of a Telegram export")
    return path


def read_export(
    stream: BinaryIO,
    on_message: Callable[[ChatMessage], None],
    on_progress: Callable[[int], None] | None = None,
    *,
    name: str = "the export",
) -> ExportSummary:
    """Hand every message of every group chat in `stream` to `on_message`, in file order.

    `on_progress` is told how many bytes were read, chunk by chunk. Raises ExportError for a
    file that is not an export, truncated, or not JSON even after repair.
    """
    summary = ExportSummary()
    document = _Document(on_message, summary)
    source = _RepairedStream(stream, document.drain, on_progress, name)
    try:
        for _root in ijson.items(source, "", map_type=document.new_map, use_float=True):
            pass
    except ijson.JSONError as error:
        # yajl's message goes on to quote the file around the error: only its first line is kept.
        detail = re.split(r"\\n|\n", str(error).removeprefix("b'"))[0].strip().rstrip(".")
        if "premature EOF" in detail or source.cut_mid_character:
            raise ExportError(f"{name} ends early (truncated); export it again") from None
        raise ExportError(
            f"{name} is not valid JSON ({detail}); give the result.json of a Telegram export"
        ) from None
    except OSError as error:
        raise ExportError(f"cannot read {name}: {error.strerror or error}") from None
    document.drain(final=True)
    if not summary.kind:
        raise ExportError(
            f"{name} is not a Telegram Desktop export (no chat in it); "
            f"export the chat {EXPORT_HOWTO}"
        )
    return summary


class _RepairedStream:
    """The file as the parser reads it: \\xHH made \\u00HH, and a chance to drain per chunk."""

    def __init__(
        self,
        raw: BinaryIO,
        before_read: Callable[[], None],
        on_progress: Callable[[int], None] | None,
        name: str,
    ) -> None:
        self._raw = raw
        self._before_read = before_read
        self._on_progress = on_progress
        self._name = name
        self._carry = b""
        self._started = False
        self.cut_mid_character = False  # the file ends inside a UTF-8 sequence: truncated

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        if size == 0:  # ijson's probe for bytes or text
            return b""
        self._before_read()
        while True:
            data = self._raw.read(max(size, 16))
            if self._on_progress is not None and data:
                self._on_progress(len(data))
            if not self._started:
                data = self._opening(data)
            if not data:  # end of file: what was held back is complete as it is
                tail, self._carry = self._carry, b""
                return _repaired(tail)
            self.cut_mid_character = _ends_mid_character(data)
            data = self._carry + data
            cut = _safe_cut(data)
            self._carry = data[cut:]
            if cut:
                return _repaired(data[:cut])

    def _opening(self, data: bytes) -> bytes:
        """The first chunk without a byte-order mark, after checking it opens a JSON object."""
        self._started = True
        data = data.removeprefix(b"\xef\xbb\xbf")
        start = data.lstrip()[:1]
        if start == b"<":
            raise ExportError(f"{self._name} is an HTML export; export it again {EXPORT_HOWTO}")
        if start != b"{":
            what = "empty" if not start else "not a Telegram Desktop export"
            raise ExportError(f"{self._name} is {what}; give the result.json of a Telegram export")
        return data


def _safe_cut(data: bytes) -> int:
    """Where to end a chunk so that no escape sequence (\\xHH at most) is split across two:
    before the backslash run that starts within the last three bytes, if any."""
    backslash = data.rfind(b"\\", max(0, len(data) - 3))
    if backslash < 0:
        return len(data)
    while backslash > 0 and data[backslash - 1] == _BACKSLASH:
        backslash -= 1
    return backslash


def _ends_mid_character(data: bytes) -> bool:
    """Whether `data` ends with the first bytes of a multi-byte UTF-8 character."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return False
        if byte >= 0xC0:  # a lead byte: 110xxxxx needs 2 bytes, 1110xxxx 3, 11110xxx 4
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back < needed
    return False


def _repaired(data: bytes) -> bytes:
    if b"\\x" not in data:
        return data
    return _ESCAPE.sub(lambda match: b"\\u00" if match[0] == b"\\x" else match[0], data)


class _Document:
    """The export as the parser builds it; messages leave it as soon as they are complete."""

    def __init__(self, on_message: Callable[[ChatMessage], None], summary: ExportSummary) -> None:
        self.root: dict[str, Any] | None = None
        self._on_message = on_message
        self._summary = summary
        # Senders repeat: each (chat, from_id, from) is read once and its values shared.
        self._senders: dict[tuple[int, object, object], tuple[Person | None, ChatRef | None]] = {}

    def new_map(self) -> dict[str, Any]:
        """Every JSON object the parser starts; the first is the document itself."""
        made: dict[str, Any] = {}
        if self.root is None:
            self.root = made
        return made

    def drain(self, final: bool = False) -> None:
        """Hand on the messages complete so far (all of them when `final`) and drop the rest."""
        root = self.root
        if root is None:
            return
        if "messages" in root:
            self._summary.kind = "chat"
            self._drain_chat(root, final)
            if final:
                self._count_chat(root)
        for section in ("chats", "left_chats"):
            listing = root.get(section)
            chats = listing.get("list") if isinstance(listing, dict) else None
            if not isinstance(chats, list):
                continue
            self._summary.kind = self._summary.kind or "full"
            complete = len(chats) if final else len(chats) - 1
            for chat in chats[:complete]:
                self._drain_chat(chat, final=True)
                self._count_chat(chat)
            del chats[:complete]
            if chats:
                self._drain_chat(chats[-1], final=False)
        for key in [key for key in root if key not in _KEPT_KEYS]:
            del root[key]  # contacts, sessions, other data: never read, never kept

    def _count_chat(self, chat: object) -> None:
        ref = _chat_ref(chat) if isinstance(chat, dict) else None
        if ref is not None and ref.is_group:
            self._summary.group_chats += 1
        else:
            self._summary.other_chats += 1

    def _drain_chat(self, chat: object, final: bool) -> None:
        if not isinstance(chat, dict):
            return
        messages = chat.get("messages")
        if not isinstance(messages, list) or not messages:
            return
        ref = _chat_ref(chat)
        if ref is None:
            if final:
                raise ExportError(
                    "a chat in the export has no type or id; give an unmodified export"
                )
            return  # the chat's header comes later in this file: wait for it
        complete = len(messages) if final else len(messages) - 1
        if complete <= 0:
            return
        batch = messages[:complete]
        del messages[:complete]
        if ref.is_group:
            for raw in batch:
                self._message(ref, raw)

    def _message(self, chat: ChatRef, raw: object) -> None:
        summary = self._summary
        kind = raw.get("type") if isinstance(raw, dict) else None
        if kind == "service":
            summary.service += 1
            return
        if kind == "unsupported":
            summary.unsupported += 1
            return
        summary.messages += 1
        try:
            if kind != "message" or not isinstance(raw, dict):
                raise _Corrupt('not an entry of type "message"')
            message = self._chat_message(chat, raw)
        except _Corrupt as corrupt:
            summary.corrupt += 1
            if len(summary.corrupt_examples) < MAX_EXAMPLES:
                message_id = raw.get("id") if isinstance(raw, dict) else None
                summary.corrupt_examples.append(CorruptMessage(chat.id, message_id, str(corrupt)))
            return
        self._on_message(message)

    def _chat_message(self, chat: ChatRef, raw: dict[str, Any]) -> ChatMessage:
        message_id = raw.get("id")
        if not isinstance(message_id, int) or isinstance(message_id, bool):
            raise _Corrupt("no message id")
        text, entities = _text(raw.get("text_entities", raw.get("text", "")))
        attachment = _attachment(raw)
        sender, sender_chat = self._sender(chat, raw)
        reply_id = raw.get("reply_to_message_id")
        forwarded = raw.get("forwarded_from", _ABSENT)
        return ChatMessage(
            chat=chat,
            message_id=message_id,
            sent_at=_unixtime(raw.get("date_unixtime")),
            sender=sender,
            sender_chat=sender_chat,
            text=None if attachment is not None else text,
            entities=() if attachment is not None else entities,
            caption=(text or None) if attachment is not None else None,
            caption_entities=entities if attachment is not None else (),
            attachment=attachment,
            poll=_poll(raw.get("poll")),
            reply_to=ReplyTarget(reply_id) if isinstance(reply_id, int) else None,
            forward=(
                None
                if forwarded is _ABSENT
                else Forward(forwarded if isinstance(forwarded, str) else "")
            ),
        )

    def _sender(self, chat: ChatRef, raw: dict[str, Any]) -> tuple[Person | None, ChatRef | None]:
        """Who posted: a user (None when the account is deleted), or the chat posted as."""
        from_id = raw.get("from_id")
        if from_id is None:
            return None, None
        name = raw.get("from")
        key = (chat.id, from_id, name)
        known = self._senders.get(key)
        if known is None:
            known = self._senders[key] = self._new_sender(chat, from_id, name)
        return known

    def _new_sender(
        self, chat: ChatRef, from_id: object, name: object
    ) -> tuple[Person | None, ChatRef | None]:
        if not isinstance(from_id, str) or (name is not None and not isinstance(name, str)):
            raise _Corrupt("from or from_id is not a string")
        prefix = next((p for p in _SENDER_PREFIXES if from_id.startswith(p)), None)
        digits = from_id[len(prefix) :] if prefix else ""
        if not digits.isdigit():
            raise _Corrupt(f"from_id {from_id!r} is not user…, channel… or chat…")
        bare = int(digits)
        if prefix == "user":
            return (None if name is None else Person(bare, name)), None
        if prefix == "chat":
            return None, ChatRef(-bare, ChatKind.GROUP, name)
        chat_id = -(_CHANNEL_ID_BASE + bare)
        if chat_id == chat.id:
            return None, chat  # an anonymous admin posting as the group
        return None, ChatRef(chat_id, ChatKind.CHANNEL, name)


class _Corrupt(Exception):
    """One message that cannot be read; the rest of the export can."""


_ABSENT = object()


def _chat_ref(chat: dict[str, Any]) -> ChatRef | None:
    """The chat with its Bot API id, or None while its type or id has not been read."""
    bare, kind_name = chat.get("id"), chat.get("type")
    if not isinstance(bare, int) or not isinstance(kind_name, str):
        return None
    kind = _CHAT_KINDS.get(kind_name, ChatKind.PRIVATE)
    if kind in (ChatKind.SUPERGROUP, ChatKind.CHANNEL):
        chat_id = -(_CHANNEL_ID_BASE + bare)
    else:
        chat_id = -bare if kind is ChatKind.GROUP else bare
    name = chat.get("name")
    return ChatRef(chat_id, kind, name if isinstance(name, str) else None)


def _unixtime(value: object) -> datetime:
    if isinstance(value, str) and value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return datetime.fromtimestamp(value, UTC)
    raise _Corrupt("no date_unixtime")


def _text(parts: object) -> tuple[str, tuple[Entity, ...]]:
    """The text and its entities (UTF-16 offsets) from a string or a list of parts."""
    if isinstance(parts, str):
        return parts, ()
    if not isinstance(parts, list):
        raise _Corrupt("text is neither a string nor a list")
    if len(parts) == 1 and isinstance(parts[0], dict) and parts[0].get("type") == "plain":
        only = parts[0].get("text")
        if isinstance(only, str):
            return only, ()
    pieces: list[str] = []
    entities: list[Entity] = []
    offset = 0
    for part in parts:
        piece, kind = (part, "plain") if isinstance(part, str) else _part(part)
        length = utf16_len(piece)
        api_type = _ENTITY_TYPES.get(kind)
        if api_type is not None and length and isinstance(part, dict):
            entities.append(_entity(api_type, offset, length, part))
        pieces.append(piece)
        offset += length
    return "".join(pieces), tuple(entities)


def _part(part: object) -> tuple[str, str]:
    """A typed part's text and type."""
    if not isinstance(part, dict):
        raise _Corrupt("a text part is neither a string nor an object")
    piece, kind = part.get("text"), part.get("type")
    if not isinstance(piece, str) or not isinstance(kind, str):
        raise _Corrupt("a text part without text or type")
    return piece, kind


def _entity(api_type: str, offset: int, length: int, part: dict[str, Any]) -> Entity:
    href, user_id = part.get("href"), part.get("user_id")
    language, emoji = part.get("language"), part.get("document_id")
    return Entity(
        api_type,
        offset,
        length,
        url=href if api_type == "text_link" and isinstance(href, str) else None,
        user=Person(user_id, str(part.get("text") or ""))
        if api_type == "text_mention" and isinstance(user_id, int)
        else None,
        language=language if api_type == "pre" and isinstance(language, str) and language else None,
        custom_emoji_id=str(emoji) if api_type == "custom_emoji" and emoji is not None else None,
    )


def _attachment(raw: dict[str, Any]) -> Attachment | None:
    """What the message carries beside text; exports keep no Telegram file ids."""
    if "photo" in raw:
        return Attachment(AttachmentKind.PHOTO)
    if "file" in raw:
        media = raw.get("media_type")
        kind = _MEDIA_KINDS.get(media, AttachmentKind.DOCUMENT) if isinstance(media, str) else None
        name, mime, size = raw.get("file_name"), raw.get("mime_type"), raw.get("file_size")
        return Attachment(
            kind or AttachmentKind.DOCUMENT,
            file_name=name if isinstance(name, str) else None,
            mime_type=mime if isinstance(mime, str) else None,
            file_size=size if isinstance(size, int) else None,
        )
    if "contact_information" in raw:
        return Attachment(AttachmentKind.CONTACT)
    if "place_name" in raw:
        return Attachment(AttachmentKind.VENUE)
    if "location_information" in raw:
        return Attachment(AttachmentKind.LOCATION)
    if "game_title" in raw or "invoice_information" in raw:
        return Attachment(AttachmentKind.OTHER)
    return None


def _poll(raw: object) -> Poll | None:
    if not isinstance(raw, dict):
        return None
    question = raw.get("question")
    answers = raw.get("answers")
    if not isinstance(question, str) or not isinstance(answers, list):
        raise _Corrupt("a poll without question or answers")
    options = tuple(
        a["text"] for a in answers if isinstance(a, dict) and isinstance(a.get("text"), str)
    )
    return Poll(question, options)
