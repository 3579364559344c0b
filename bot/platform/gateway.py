"""What the bot asks Telegram while it works, answered as plain values (the edge implements it).

Everything that must be delivered goes through the outbox instead; this is for questions
whose answer is needed now (is this person still an admin?) and for replies that are only
worth sending now (a roster to the person who pressed for it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from policies.message import Person

ADMIN_STATUSES = frozenset({"creator", "administrator"})


@dataclass(frozen=True, slots=True)
class Membership:
    """Someone's standing in a chat, by Telegram's getChatMember."""

    status: str  # creator | administrator | member | restricted | left | kicked
    can_delete_messages: bool = False

    @property
    def is_admin(self) -> bool:
        return self.status in ADMIN_STATUSES

    @property
    def is_present(self) -> bool:
        return self.status not in ("left", "kicked")


@dataclass(frozen=True, slots=True)
class Download:
    """A file's bytes, or why there are none and whether trying later may get them."""

    content: bytes | None
    reason: str = ""
    retry: bool = False  # a network failure, not the file's fault


class Gateway(Protocol):
    @property
    def bot_id(self) -> int: ...

    @property
    def reads_all_messages(self) -> bool:
        """Whether privacy mode is off for the bot (it sees every group message)."""
        ...

    async def membership(self, chat_id: int, user_id: int) -> Membership | None:
        """Telegram's word on a member now; None when it cannot be asked."""
        ...

    async def administrators(self, chat_id: int) -> list[tuple[Person, str]]:
        """The chat's admins with their status; empty when it cannot be asked."""
        ...

    async def member_count(self, chat_id: int) -> int | None: ...

    async def send_text(self, chat_id: int, text: str) -> bool:
        """Send now, outside the outbox; False when the chat refuses (never started, blocked)."""
        ...

    async def download(self, file_id: str, limit: int) -> Download:
        """A file's bytes (getFile, then the file URL); none beyond `limit` bytes."""
        ...
