"""The real bot in a process of its own against `python -m testserver`, for tests that kill it.

`Control` drives the test server's control API; `bot_process` starts `python -m bot run` (or,
given `now`, the same bot on a clock of the test's: tests/clocked_bot.py); `until` polls for a
state instead of sleeping for one.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

# Guards against a hang, not a speed requirement: each wait ends as soon as its state is seen.
PATIENCE_S = 120.0
REPO = Path(__file__).resolve().parents[1]


class Control:
    def __init__(self, url: str) -> None:
        self._client = httpx.Client(base_url=url + "/", timeout=30)

    def get(self, name: str) -> Any:
        response = self._client.get(name)
        response.raise_for_status()
        return response.json()

    def post(self, name: str, **body: Any) -> Any:
        response = self._client.post(name, json=body)
        response.raise_for_status()
        return response.json()

    def held_requests(self) -> int:
        """Requests the server holds without performing them (a "timeout" fault)."""
        return sum(1 for r in self.get("requests") if r["description"] == "fault: timeout")


def bot_process(
    config: Path, token: str, *, now: datetime | None = None
) -> subprocess.Popen[bytes]:
    """The bot with `config` and `token`; on the system clock, or from `now` on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANFU_")}
    env["JIANFU_BOT_TOKEN"] = token
    if now is None:
        command = ["-m", "bot", "--config", str(config), "run"]
    else:
        command = ["-m", "tests.clocked_bot", "--config", str(config), "--now", now.isoformat()]
    return subprocess.Popen(
        [sys.executable, *command],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def polling_config(directory: Path, base_url: str, database: str, defaults: str = "") -> Path:
    """A config polling the server: never quiet, whatever the time of day the test runs at
    (nothing is held), every day a workday; `defaults` adds lines to [defaults]."""
    config = directory / "config.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{base_url}"\n\n[database]\nurl = "{database}"\n\n'
        '[defaults]\nquiet_hours = []\nrest_days = []\nholiday_calendar = "none"\n' + defaults,
        encoding="utf-8",
    )
    return config


async def until(condition: Callable[[], Any], what: str) -> None:
    """Poll `condition` (sync or async) until it holds; fail after PATIENCE_S."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE_S
    while True:
        outcome = condition()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        if loop.time() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)
