"""Failures injected on demand: the next matching requests fail the way Telegram can fail."""

from __future__ import annotations

from collections.abc import Mapping
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


class Faults:
    def __init__(self) -> None:
        self._pending: list[Fault] = []

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
        """The first pending fault for a request of `method` with `params`, used up once."""
        if not self._pending:
            return None
        for fault in self._pending:
            if fault.matches(method, params):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._pending.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._pending.clear()
