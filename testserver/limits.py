"""Telegram's flood limits, answered with 429 and retry_after like Telegram does.

Defaults (`LimitSettings`), all switchable:

- overall: a token bucket of 30 requests/s with a burst of 30;
- per chat: a token bucket of 1 message/s with a burst of 3;
- per group (group or supergroup): at most 20 messages in any 60 s (a sliding window).

Which methods count: sending ones (send* except sendChatAction, copyMessage(s),
forwardMessage(s)) always; editMessage* and stopPoll when `count_edits` (default on);
deleteMessage(s) when `count_deletes` (default off). A refused request consumes nothing.
Time comes from an injectable monotonic clock (`time.monotonic` by default), because limits
pace real requests. `RateLimiter.enabled` switches them off and on while running.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

_FORWARDING = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})
_DELETING = frozenset({"deleteMessage", "deleteMessages"})


@dataclass(frozen=True, slots=True)
class LimitSettings:
    enabled: bool = True
    overall_per_second: float = 30.0
    overall_burst: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    count_edits: bool = True
    count_deletes: bool = False


@dataclass(slots=True)
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass(slots=True)
class _Window:
    size: int
    span: float
    times: deque[float] = field(default_factory=deque)

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.span:
            self.times.popleft()
        return 0.0 if len(self.times) < self.size else self.times[0] + self.span - now


class RateLimiter:
    def __init__(
        self, settings: LimitSettings | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings or LimitSettings()
        self.enabled = self.settings.enabled
        """Switch the limits off and on while running."""
        self._clock = clock
        now = clock()
        s = self.settings
        self._overall = _Bucket(s.overall_per_second, s.overall_burst, s.overall_burst, now)
        self._chats: dict[int, _Bucket] = {}
        self._groups: dict[int, _Window] = {}

    def counts(self, method: str) -> bool:
        """Whether `method` is subject to the limits."""
        s = self.settings
        if method.startswith("send"):
            return method != "sendChatAction"
        if method.startswith("editMessage") or method == "stopPoll":
            return s.count_edits
        if method in _DELETING:
            return s.count_deletes
        return method in _FORWARDING

    def acquire(self, method: str, chat_id: int | None, is_group: bool) -> int | None:
        """Count the request and return None, or refuse it: the retry_after in seconds."""
        s = self.settings
        if not self.enabled or not self.counts(method):
            return None
        now = self._clock()
        chat = group = None
        waits = [self._overall.wait(now)]
        if chat_id is not None:
            chat = self._chats.get(chat_id)
            if chat is None:
                chat = self._chats[chat_id] = _Bucket(
                    s.chat_per_second, s.chat_burst, s.chat_burst, now
                )
            waits.append(chat.wait(now))
            if is_group:
                group = self._groups.get(chat_id)
                if group is None:
                    group = self._groups[chat_id] = _Window(s.group_per_minute, 60.0)
                waits.append(group.wait(now))
        longest = max(waits)
        if longest > 0:
            return max(1, math.ceil(longest))
        self._overall.tokens -= 1
        if chat is not None:
            chat.tokens -= 1
        if group is not None:
            group.times.append(now)
        return None
