"""Failures injected on demand: the next matching requests fail the way Telegram can fail."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal["429", "500", "502", "403", "400", "401", "timeout", "drop", "lost"]
CONNECTION_FAULTS = frozenset({"timeout", "drop", "lost"})
"""The kinds that close the connection without an answer."""
ANY_METHOD = "*"

_ANSWERS: dict[str, tuple[int, str]] = {
    "500": (500, "Internal Server Error"),
    "502": (502, "Bad Gateway"),
    "403": (403, "Forbidden: bot was blocked by the user"),
    "400": (400, "Bad Request: chat not found"),
    "401": (401, "Unauthorized"),
}


@dataclass(slots=True)
class Fault:
    """`kind` for the next `remaining` requests of `method` ("*" for any).

    "timeout" holds the request `hold` seconds and then closes the connection without an answer;
    "drop" closes it at once. Neither performs the method; "lost" performs it, then closes the
    connection without an answer (Telegram did it, the answer was lost). With `with_param`,
    only requests that carry that parameter match (e.g. "reply_parameters": replies only).
    """

    method: str
    kind: FaultKind
    remaining: int
    retry_after: int = 5
    hold: float = 60.0
    description: str | None = None
    with_param: str | None = None

    def matches(self, method: str, params: Mapping[str, object]) -> bool:
        return self.method in (method, ANY_METHOD) and (
            self.with_param is None or self.with_param in params
        )

    def answer(self) -> tuple[int, str]:
        """HTTP status and description for the answering kinds."""
        if self.kind == "429":
            return 429, self.description or f"Too Many Requests: retry after {self.retry_after}"
        status, description = _ANSWERS[self.kind]
        return status, self.description or description


@dataclass(slots=True)
class RandomFaults:
    """Each request of a method in `kinds` (or "*": any other) fails with probability `rate`,
    the way one of its kinds, drawn from `rng`, says. A "403" only hits private chats (the bot
    blocked by a user): the bot removed from a group is a scene of its own (set_bot_status)."""

    rng: random.Random
    rate: float
    kinds: Mapping[str, Sequence[FaultKind]]
    hold: float = 0.05
    retry_after: int = 1

    def draw(self, method: str, params: Mapping[str, object]) -> Fault | None:
        kinds = self.kinds.get(method, self.kinds.get(ANY_METHOD, ()))
        if not kinds or self.rng.random() >= self.rate:
            return None
        kind = self.rng.choice(kinds)
        chat_id = params.get("chat_id")
        if kind == "403" and not (isinstance(chat_id, int) and chat_id > 0):
            return None
        return Fault(method, kind, 1, self.retry_after, self.hold)


class Faults:
    def __init__(self) -> None:
        self._pending: list[Fault] = []
        self.random: RandomFaults | None = None
        """Faults drawn at random for requests no pending fault matches (None: none)."""

    def inject(
        self,
        method: str,
        kind: FaultKind,
        count: int = 1,
        *,
        retry_after: int = 5,
        hold: float = 60.0,
        description: str | None = None,
        with_param: str | None = None,
    ) -> Fault:
        """Fail the next `count` requests of `method` ("*" for any) the way `kind` says."""
        if kind != "429" and kind not in CONNECTION_FAULTS and kind not in _ANSWERS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {get_args(FaultKind)}")
        fault = Fault(method, kind, count, retry_after, hold, description, with_param)
        self._pending.append(fault)
        return fault

    def take(self, method: str, params: Mapping[str, object]) -> Fault | None:
        """The first pending fault for a request of `method` with `params`, used up once;
        else one drawn at random, when random faults are on."""
        for fault in self._pending:
            if fault.matches(method, params):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._pending.remove(fault)
                return fault
        return None if self.random is None else self.random.draw(method, params)

    def clear(self) -> None:
        self._pending.clear()
        self.random = None
