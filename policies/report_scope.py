"""Who may read which group's report: supervisors within their scope, a group's own admins.

Members read nothing. A supervisor's scope is every group, or the listed chat ids; an admin
reads the group they administer, as Telegram says at the moment of asking.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """The groups a supervisor may read: every group (`chats` None) or the listed chat ids."""

    chats: frozenset[int] | None = None

    @property
    def every_group(self) -> bool:
        return self.chats is None

    def covers(self, chat_id: int) -> bool:
        return self.chats is None or chat_id in self.chats

    def within(self, chat_ids: Iterable[int]) -> list[int]:
        """The given chats this scope covers, in their order."""
        return [chat_id for chat_id in chat_ids if self.covers(chat_id)]


EVERY_GROUP = Scope()


def may_read(scope: Scope | None, chat_id: int, is_admin: bool) -> bool:
    """Whether a person with `scope` (None: not a supervisor) may read the group's report."""
    return is_admin or (scope is not None and scope.covers(chat_id))


def scope_timezone(listed_zones: Sequence[str], default: str) -> str:
    """The timezone a scope's weekly report keeps: the one most of its groups use (the first
    listed among equals), or `default` for every group or none known."""
    if not listed_zones:
        return default
    counts = Counter(listed_zones)
    most = max(counts.values())
    return next(zone for zone in listed_zones if counts[zone] == most)
