"""What the store says about a group and a sender, remembered between messages.

Every group message needs its group's policy overrides, the bot's right to delete there and
whether the sender is an admin; they rarely change, so they are read once and remembered.
A write that changes one marks it stale in its transaction (`forget_chat`, `forget_member`),
and the memory forgets it when that transaction commits. What another process changed is
seen within TTL at the latest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.storage.after_commit import after_commit
from bot.platform.storage.models import Chat, GroupPolicyOverride, Member

TTL_SECONDS = 10.0
LIMIT = 100_000
_MEMORY = "jianfu_known"


@dataclass(frozen=True, slots=True)
class GroupFacts:
    overrides: dict[str, Any] | None
    bot_can_delete: bool


class KnownFacts:
    """Remembered group and member facts of one database; see the module's docstring."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._groups: dict[int, tuple[float, GroupFacts]] = {}
        self._admins: dict[tuple[int, int], tuple[float, bool]] = {}

    async def group(self, session: AsyncSession, chat_id: int) -> GroupFacts:
        found = self._groups.get(chat_id)
        now = self._monotonic()
        if found is not None and now - found[0] < TTL_SECONDS:
            return found[1]
        overrides, can_delete = (await session.execute(_GROUP, {"chat_id": chat_id})).one()
        facts = GroupFacts(overrides, bool(can_delete))
        self._remember(self._groups, chat_id, (now, facts))
        return facts

    async def is_admin(self, session: AsyncSession, chat_id: int, user_id: int | None) -> bool:
        if user_id is None:
            return False
        key = (chat_id, user_id)
        found = self._admins.get(key)
        now = self._monotonic()
        if found is not None and now - found[0] < TTL_SECONDS:
            return found[1]
        admin = bool(await session.scalar(_ADMIN, {"chat_id": chat_id, "user_id": user_id}))
        self._remember(self._admins, key, (now, admin))
        return admin

    def forget(self, chat_id: int, user_id: int | None = None) -> None:
        if user_id is None:
            self._groups.pop(chat_id, None)
        else:
            self._admins.pop((chat_id, user_id), None)

    @staticmethod
    def _remember(memory: dict[Any, Any], key: Any, value: Any) -> None:
        if len(memory) >= LIMIT:
            memory.clear()
        memory[key] = value


_GROUP = select(
    select(GroupPolicyOverride.overrides)
    .where(GroupPolicyOverride.chat_id == bindparam("chat_id"))
    .scalar_subquery(),
    select(Chat.bot_can_delete).where(Chat.chat_id == bindparam("chat_id")).scalar_subquery(),
)
_ADMIN = select(Member.is_admin).where(
    Member.chat_id == bindparam("chat_id"), Member.user_id == bindparam("user_id")
)


def known_facts(session: AsyncSession) -> KnownFacts:
    """The memory of the session's database (the session factory carries it)."""
    memory = session.info.get(_MEMORY)
    assert isinstance(memory, KnownFacts), "sessions come from storage.session_factory"
    return memory


def session_info(memory: KnownFacts) -> dict[str, Any]:
    """What a session factory gives its sessions so that they find their memory."""
    return {_MEMORY: memory}


def forget_chat(session: AsyncSession, chat_id: int) -> None:
    """The group's policy or the bot's rights there change in this transaction."""
    memory = session.info.get(_MEMORY)
    if isinstance(memory, KnownFacts):
        after_commit(session, lambda: memory.forget(chat_id))


def forget_member(session: AsyncSession, chat_id: int, user_id: int) -> None:
    """Someone's standing in a group changes in this transaction."""
    memory = session.info.get(_MEMORY)
    if isinstance(memory, KnownFacts):
        after_commit(session, lambda: memory.forget(chat_id, user_id))
