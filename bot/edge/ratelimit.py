"""Pacing of Bot API requests for this bot's traffic: overall, per chat and per group.

Telegram's documented limits (https://core.telegram.org/bots/faq): about 30 messages per
second overall, about one per second in a chat with short bursts, 20 per minute in a group.
Sends and edits draw from those budgets, as in the test server's default policy
(`testserver/limits.py`). Deletes do not by default: Telegram's figures speak of messages
sent, the bot coalesces deletes into deleteMessages (up to 100 ids, one request), and holding
200 late-night messages must not take ten minutes of a group's budget. Should Telegram answer
a delete with 429 after all, the chat is paused and the outbox reschedules (see below);
`Limits(counted=...)` makes deletes count. Reads and callback answers are never paced.

Why not PTB's AIORateLimiter: one RetryAfter there pauses every request of the bot, and it
retries in place, hiding the failure from the durable outbox that owns retries. Here:

- a RetryAfter pauses only the chat it was answered for (or the unpaced requests, such as
  callback answers and reads, when it came for one of those), and a call gets at most
  `rate_limit_args` attempts (an int; the limiter's `attempts` by default) before the error
  is raised. The outbox passes `SINGLE_ATTEMPT`: it reschedules the item itself, durably.
  Interactive replies from handlers keep the default of two attempts, the second only when
  the wait is short (at most `max_retry_wait` seconds).
- a request takes from all its budgets at once, and only when every one has room, so a
  request waiting for its chat uses nothing of the overall budget meanwhile.
- the budgets stay a little under Telegram's figures, because the server counts arrival
  times, which jitter against the send times the limiter controls.

The limiter lives in one process: several instances draining one outbox should each get a
share of the budgets (e.g. `Limits` with the overall rate divided by the instance count).

The arithmetic (`RateBudget`) is pure and takes the monotonic time as an argument; the PTB
adapter (`ChatRateLimiter`) gets its monotonic clock and sleep injected.
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

# Float rounding must not turn a wait that has just elapsed into one more tiny sleep.
_EPSILON = 1e-9

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
ChatKey = int | str | None
"""The chat a request is scoped to: an id, an @username, or None for requests without a chat."""


class Kind(Enum):
    """What a request does to a chat, which decides the budgets it draws from."""

    SEND = "send"
    EDIT = "edit"
    DELETE = "delete"
    UNPACED = "unpaced"


_SEND_METHODS = frozenset(
    {"copyMessage", "copyMessages", "forwardMessage", "forwardMessages", "sendMediaGroup"}
)
# sendChatAction starts with "send" but posts nothing.
_UNPACED_SENDS = frozenset({"sendChatAction"})


def kind_of(endpoint: str) -> Kind:
    """The kind of a Bot API method named in camelCase, e.g. sendMessage -> SEND."""
    if endpoint in _UNPACED_SENDS:
        return Kind.UNPACED
    if endpoint.startswith("send") or endpoint in _SEND_METHODS:
        return Kind.SEND
    if endpoint.startswith("editMessage") or endpoint == "stopPoll":
        return Kind.EDIT
    if endpoint in ("deleteMessage", "deleteMessages"):
        return Kind.DELETE
    return Kind.UNPACED


def is_group(chat: ChatKey) -> bool:
    """Whether a chat key names a group, supergroup or channel (negative ids, @usernames)."""
    if isinstance(chat, str):
        try:
            chat = int(chat)
        except ValueError:
            return True
    return chat is not None and chat < 0


class Budget(Protocol):
    def wait(self, now: float) -> float:
        """Seconds until a request fits (0 when one does)."""
        ...

    def take(self, now: float) -> None: ...

    def is_idle(self, now: float) -> bool:
        """Whether the budget is as good as new, so it can be dropped."""
        ...


@dataclass(frozen=True)
class Rate:
    """A token bucket: `burst` requests at once, refilled at `count` per `per_seconds`."""

    count: float
    per_seconds: float
    burst: float = 1.0

    def __post_init__(self) -> None:
        if self.count <= 0 or self.per_seconds <= 0 or self.burst < 1:
            raise ValueError(f"rate needs count > 0, per_seconds > 0 and burst >= 1: {self}")

    @property
    def per_second(self) -> float:
        return self.count / self.per_seconds

    def budget(self, now: float) -> TokenBucket:
        return TokenBucket(self, now)


@dataclass(frozen=True)
class Window:
    """At most `count` requests in any `seconds` (a sliding window)."""

    count: int
    seconds: float

    def __post_init__(self) -> None:
        if self.count < 1 or self.seconds <= 0:
            raise ValueError(f"window needs count >= 1 and seconds > 0: {self}")

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    def budget(self, now: float) -> SlidingWindow:
        return SlidingWindow(self)


@dataclass(frozen=True)
class Limits:
    """The budgets a counted request draws from; None switches a budget off."""

    # At most burst + rate (30.7) requests fit in any one second, so never more than 30; the
    # 0.4 of a token over 1 absorbs the event loop waking a few milliseconds late.
    overall: Rate | None = Rate(29.3, 1.0, burst=1.4)
    per_chat: Rate | Window | None = Rate(1.0, 1.0, burst=2.0)
    per_group: Rate | Window | None = Window(20, 62.0)
    counted: frozenset[Kind] = frozenset({Kind.SEND, Kind.EDIT})


class TokenBucket:
    """Tokens refill continuously up to the burst; a request takes one whole token."""

    __slots__ = ("_capacity", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: Rate, now: float) -> None:
        self._rate = rate.per_second
        self._capacity = rate.burst
        self._tokens = rate.burst
        self._stamp = now

    def _refill(self, now: float) -> None:
        if now > self._stamp:
            self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
            self._stamp = now

    def wait(self, now: float) -> float:
        self._refill(now)
        missing = 1.0 - self._tokens
        return 0.0 if missing <= _EPSILON else missing / self._rate

    def take(self, now: float) -> None:
        self._refill(now)
        self._tokens -= 1.0

    def is_idle(self, now: float) -> bool:
        self._refill(now)
        return self._tokens >= self._capacity - _EPSILON


class SlidingWindow:
    """The instants of the requests of the last window, oldest first."""

    __slots__ = ("_count", "_seconds", "_times")

    def __init__(self, window: Window) -> None:
        self._count = window.count
        self._seconds = window.seconds
        self._times: deque[float] = deque()

    def _forget(self, now: float) -> None:
        while self._times and self._times[0] <= now - self._seconds:
            self._times.popleft()

    def wait(self, now: float) -> float:
        self._forget(now)
        if len(self._times) < self._count:
            return 0.0
        return self._times[0] + self._seconds - now

    def take(self, now: float) -> None:
        self._times.append(now)

    def is_idle(self, now: float) -> bool:
        self._forget(now)
        return not self._times


class RateBudget:
    """The budgets and pauses of one bot; every method takes the monotonic `now`."""

    _PRUNE_FLOOR = 1024

    def __init__(self, limits: Limits, now: float) -> None:
        self._limits = limits
        self._overall = limits.overall.budget(now) if limits.overall else None
        self._chats: dict[ChatKey, Budget] = {}
        self._groups: dict[ChatKey, Budget] = {}
        self._paused_until: dict[ChatKey, float] = {}
        self._prune_at = self._PRUNE_FLOOR

    def _budgets(
        self, kind: Kind, chat: ChatKey, now: float, *, overall: bool = True
    ) -> list[Budget]:
        limits = self._limits
        budgets: list[Budget] = []
        if kind not in limits.counted:
            return budgets
        if overall and self._overall is not None:
            budgets.append(self._overall)
        if chat is None:
            return budgets
        if limits.per_chat is not None:
            budgets.append(self._budget(self._chats, chat, limits.per_chat, now))
        if limits.per_group is not None and is_group(chat):
            budgets.append(self._budget(self._groups, chat, limits.per_group, now))
        return budgets

    @staticmethod
    def _budget(
        budgets: dict[ChatKey, Budget], chat: ChatKey, spec: Rate | Window, now: float
    ) -> Budget:
        budget = budgets.get(chat)
        if budget is None:
            budget = budgets[chat] = spec.budget(now)
        return budget

    def draws_on_overall(self, kind: Kind) -> bool:
        return self._overall is not None and kind in self._limits.counted

    def wait(self, kind: Kind, chat: ChatKey, now: float, *, overall: bool = True) -> float:
        """Seconds until the request fits its pause and budgets (0: now); takes nothing.

        `overall=False` leaves the overall budget out: the wait for the chat's own budgets.
        """
        wait = self.paused_for(pause_key(kind, chat), now)
        for budget in self._budgets(kind, chat, now, overall=overall):
            wait = max(wait, budget.wait(now))
        return wait

    def take(self, kind: Kind, chat: ChatKey, now: float) -> None:
        """Count the request against every budget it draws on."""
        for budget in self._budgets(kind, chat, now):
            budget.take(now)
        self._prune(now)

    def pause(self, chat: ChatKey, seconds: float, now: float) -> None:
        """Hold requests for `chat` (None: the requests without a chat) for `seconds`."""
        until = now + seconds
        self._paused_until[chat] = max(until, self._paused_until.get(chat, until))

    def paused_for(self, chat: ChatKey, now: float) -> float:
        """Seconds left of a pause of `chat` (0 when it is not paused)."""
        until = self._paused_until.get(chat)
        if until is None:
            return 0.0
        if until <= now:
            del self._paused_until[chat]
            return 0.0
        return until - now

    def _prune(self, now: float) -> None:
        # Idle budgets are as good as fresh ones; dropping them bounds memory.
        size = len(self._chats) + len(self._groups)
        if size < self._prune_at:
            return
        for budgets in (self._chats, self._groups):
            for chat in [chat for chat, budget in budgets.items() if budget.is_idle(now)]:
                del budgets[chat]
        self._prune_at = max(self._PRUNE_FLOOR, 2 * (len(self._chats) + len(self._groups)))

    def tracked_chats(self) -> int:
        """How many chats have a budget of their own: idle ones are pruned, so it stays small."""
        return len(self._chats.keys() | self._groups.keys())


SINGLE_ATTEMPT = 1
"""rate_limit_args for a call whose RetryAfter must reach the caller at once.

Attempts rather than retries, because PTB drops falsy rate_limit_args such as 0.
"""


def pause_key(kind: Kind, chat: ChatKey) -> ChatKey:
    """What a RetryAfter pauses: the chat for paced requests, else the unpaced requests."""
    return None if kind is Kind.UNPACED else chat


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds, without PTB's int/timedelta deprecation noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def chat_key(data: dict[str, Any]) -> ChatKey:
    """The chat a request's parameters name; numeric strings are read as ids."""
    chat = data.get("chat_id")
    if isinstance(chat, str):
        try:
            return int(chat)
        except ValueError:
            return chat
    return chat if isinstance(chat, int) else None


class ChatRateLimiter(BaseRateLimiter[int]):
    """PTB rate limiter: paces by `Limits`; a RetryAfter pauses only its chat.

    `rate_limit_args` (an int) is the number of attempts a call gets against RetryAfter;
    None means the limiter's `attempts`. Another attempt is made only when Telegram's wait
    is at most `max_retry_wait` seconds; otherwise the error is raised at once.
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        attempts: int = 2,
        max_retry_wait: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._monotonic = monotonic
        self._sleep = sleep
        self.budget = RateBudget(limits or Limits(), monotonic())
        """The budgets and pauses this limiter paces by (its clock is `monotonic`)."""
        self._attempts = attempts
        self._max_retry_wait = max_retry_wait
        # asyncio.Lock wakes its waiters in arrival order: the queue for the overall budget.
        self._turns = asyncio.Lock()

    async def initialize(self) -> None:
        """Nothing to set up: the buckets live in memory."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def acquire(self, kind: Kind, chat: ChatKey) -> None:
        """Wait until a request of `kind` for `chat` fits every budget, and take from them.

        Requests whose chat allows them queue for the overall budget first come, first
        served, so that chats take turns; one waiting for its chat does not hold the queue.
        """
        budget = self.budget
        while True:
            while (wait := budget.wait(kind, chat, self._monotonic(), overall=False)) > 0:
                await self._sleep(wait)
            if not budget.draws_on_overall(kind):
                budget.take(kind, chat, self._monotonic())
                return
            async with self._turns:
                while budget.wait(kind, chat, now := self._monotonic(), overall=False) == 0:
                    wait = budget.wait(kind, chat, now)
                    if wait == 0:
                        budget.take(kind, chat, now)
                        return
                    await self._sleep(wait)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        kind = kind_of(endpoint)
        chat = chat_key(data)
        attempts = self._attempts if rate_limit_args is None else rate_limit_args
        attempt = 1
        while True:
            await self.acquire(kind, chat)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                self.budget.pause(pause_key(kind, chat), wait, self._monotonic())
                if attempt >= attempts or wait > self._max_retry_wait:
                    raise
                attempt += 1
