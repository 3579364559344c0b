"""The demo's clock: moved by the script, then running on at the pace of real time.

It lives in the demo, which is not part of the installed package: `jianfu run` always runs on
the system clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class DemoClock:
    """Stands still where the script puts it until `run` is called; from then on it moves
    with real time (from where it stood), and `set` still moves it to another instant."""

    def __init__(self, start: datetime, monotonic: Callable[[], float] = time.monotonic) -> None:
        if start.tzinfo is None:
            raise ValueError("DemoClock needs a timezone-aware start")
        self._at = start.astimezone(UTC)
        self._monotonic = monotonic
        self._since: float | None = None

    def now(self) -> datetime:
        if self._since is None:
            return self._at
        return self._at + timedelta(seconds=self._monotonic() - self._since)

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the demo clock is set to timezone-aware instants only")
        self._at = instant.astimezone(UTC)
        if self._since is not None:
            self._since = self._monotonic()

    def run(self) -> None:
        """From now on, move with real time."""
        self._at = self.now()
        self._since = self._monotonic()
