"""Which groups a supervisor reads (their scope), and the timezone their weekly report keeps.

Beside supervisors, a group's own admins read that group (as Telegram says at the moment of
asking); members read nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """The groups a supervisor may read: every group (`chats` None) or the listed chat ids."""

    chats: frozenset[int] | None = None

    def covers(self, chat_id: int) -> bool:
        return self.chats is None or chat_id in self.chats


EVERY_GROUP = Scope()


def scope_timezone(group_zones: Iterable[str], default: str) -> str:
    """The timezone of a scope's weekly report: the one most of its groups keep (the first by
    name among equals); `default` for no known group."""
    counts = Counter(group_zones)
    if not counts:
        return default
    return min(counts, key=lambda zone: (-counts[zone], zone))
