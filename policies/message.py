"""A chat message as plain, frozen data: what the rules read, whatever delivered it.

The Telegram edge builds it from an Update; the export audit builds it from a Telegram Desktop
export. Nothing here knows either source. Entities and attachments keep Bot API vocabulary
(type names, UTF-16 offsets), so a held message can be posted again from this value alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

ANONYMOUS_ADMIN_BOT_ID = 1087968824
"""Telegram's stand-in user for messages an anonymous admin posts as the group."""


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


@dataclass(frozen=True, slots=True)
class ChatRef:
    id: int
    kind: ChatKind
    title: str | None = None
    username: str | None = None

    @property
    def is_group(self) -> bool:
        return self.kind in (ChatKind.GROUP, ChatKind.SUPERGROUP)


@dataclass(frozen=True, slots=True)
class Person:
    """A Telegram user as a message shows them."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(frozen=True, slots=True)
class Entity:
    """A Bot API MessageEntity; offsets and lengths in UTF-16 code units."""

    type: str
    offset: int
    length: int
    url: str | None = None  # text_link
    user: Person | None = None  # text_mention
    language: str | None = None  # pre
    custom_emoji_id: str | None = None  # custom_emoji

    @property
    def is_link(self) -> bool:
        return self.type in ("url", "text_link", "text_mention", "email", "phone_number")


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"
    ANIMATION = "animation"
    DOCUMENT = "document"
    AUDIO = "audio"
    VOICE = "voice"
    VIDEO_NOTE = "video_note"
    STICKER = "sticker"
    LOCATION = "location"
    VENUE = "venue"
    CONTACT = "contact"
    DICE = "dice"
    OTHER = "other"


FILE_KINDS = frozenset(
    {
        AttachmentKind.PHOTO,
        AttachmentKind.VIDEO,
        AttachmentKind.ANIMATION,
        AttachmentKind.DOCUMENT,
        AttachmentKind.AUDIO,
        AttachmentKind.VOICE,
        AttachmentKind.VIDEO_NOTE,
        AttachmentKind.STICKER,
    }
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """What a message carries beside its text: a file (by Telegram's ids), a place, a contact."""

    kind: AttachmentKind
    file_id: str | None = None  # None when the source has no Telegram file (an export)
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    file_size: int | None = None


@dataclass(frozen=True, slots=True)
class Poll:
    question: str
    options: tuple[str, ...]
    is_anonymous: bool = True
    type: str = "regular"
    allows_multiple_answers: bool = False


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """The message a message replies to, as far as the reply shows it."""

    message_id: int
    sender_id: int | None = None
    sender_is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Forward:
    """Where a forwarded message came from: the name members see, and the origin's date."""

    origin_name: str
    date: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message in a chat, new or edited."""

    chat: ChatRef
    message_id: int
    sent_at: datetime  # aware UTC
    # The user Telegram names as its author (for an anonymous admin, Telegram's stand-in bot);
    # None when the source names nobody (a deleted account in an export).
    sender: Person | None = None
    sender_chat: ChatRef | None = None  # who it was posted as (the group itself, a channel)
    text: str | None = None
    entities: tuple[Entity, ...] = ()
    caption: str | None = None
    caption_entities: tuple[Entity, ...] = ()
    attachment: Attachment | None = None
    poll: Poll | None = None
    reply_to: ReplyTarget | None = None
    forward: Forward | None = None
    edited_at: datetime | None = None  # set for an edit: the message as it now reads

    @property
    def is_edit(self) -> bool:
        return self.edited_at is not None

    @property
    def sender_id(self) -> int:
        """Who is responsible: the chat it was posted as, else the user (0: unknown)."""
        if self.sender_chat is not None:
            return self.sender_chat.id
        return self.sender.id if self.sender is not None else 0

    @property
    def is_anonymous_admin(self) -> bool:
        """An anonymous admin posts as the group itself."""
        return self.sender_chat is not None and self.sender_chat.id == self.chat.id

    @property
    def sender_is_bot(self) -> bool:
        return self.sender is not None and self.sender.is_bot

    @property
    def sender_name(self) -> str:
        """The name members know the sender by."""
        if self.sender_chat is not None:
            return self.sender_chat.title or self.sender_chat.username or ""
        return self.sender.full_name if self.sender is not None else ""

    @property
    def readable_text(self) -> str:
        """What a person reads: the text, a caption, or a poll's question and options."""
        if self.text is not None:
            return self.text
        if self.caption is not None:
            return self.caption
        if self.poll is not None:
            return "\n".join([self.poll.question, *self.poll.options])
        return ""

    @property
    def is_command(self) -> bool:
        return any(e.type == "bot_command" and e.offset == 0 for e in self.entities)

    @property
    def carries_content(self) -> bool:
        """A file, a place, a contact, a poll or a link: more than words, never to delete
        as a mere acknowledgement or repost."""
        links = any(e.is_link for e in (*self.entities, *self.caption_entities))
        return self.attachment is not None or self.poll is not None or links
