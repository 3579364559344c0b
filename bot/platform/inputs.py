"""Updates other than chat messages, as plain values: button presses, commands, member changes."""

from __future__ import annotations

from dataclasses import dataclass

from policies.message import ChatMessage, ChatRef, Person


@dataclass(frozen=True, slots=True)
class Press:
    """A press of an inline button on a message the bot posted."""

    chat: ChatRef
    message_id: int
    presser: Person
    data: str


@dataclass(frozen=True, slots=True)
class Command:
    """A /command (its name without the slash or the bot's @username) and its words."""

    message: ChatMessage
    name: str
    args: tuple[str, ...]

    @property
    def reader_language(self) -> str | None:
        """The language the person who typed it reads, when Telegram says (never an
        anonymous admin's, who speaks as the group)."""
        sender = self.message.sender
        if sender is None or self.message.is_anonymous_admin:
            return None
        return sender.language_code


@dataclass(frozen=True, slots=True)
class MemberChange:
    """Someone's membership of a group changed (the bot's own too)."""

    update_id: int
    chat: ChatRef
    member: Person
    old_status: str
    new_status: str
