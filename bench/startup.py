"""`jianfu run` from the process's start to its first getUpdates at the Bot API (goal <= 1 s).

A standalone test server and a migrated SQLite file; each run spawns `python -m bot run` and
takes the time from the spawn to the first getUpdates request the server records (both clocks
are the system's monotonic clock), then stops the bot with SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bot.platform.storage.migrate import upgrade_to_head
from testserver.process import launched

RUNS = 7
TOKEN = "123456:startup-bench"
GOAL_S = 1.0
# A safety net for a bot that never polls, not a measure.
PATIENCE_S = 60.0


def _first_poll(control: httpx.Client, since: float) -> float | None:
    polls = control.get("requests", params={"method": "getUpdates"}).json()
    times = [r["at"] for r in polls if r["at"] >= since]
    return min(times) if times else None


def _one_run(directory: Path, base_url: str, control: httpx.Client) -> float:
    config = directory / "config.toml"
    database = directory / "startup.db"
    config.write_text(
        f'[telegram]\nbase_url = "{base_url}"\n\n[database]\n'
        f'url = "sqlite+aiosqlite:///{database}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANFU_")}
    env["JIANFU_BOT_TOKEN"] = TOKEN
    started = time.monotonic()
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(config), "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while (polled := _first_poll(control, started)) is None:
            if time.monotonic() - started > PATIENCE_S or bot.poll() is not None:
                raise SystemExit("the bot never polled; run it by hand to see why")
            time.sleep(0.005)
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(PATIENCE_S)
    return polled - started


def run() -> None:
    with tempfile.TemporaryDirectory() as name, launched("--token", TOKEN) as server:
        directory = Path(name)
        asyncio.run(upgrade_to_head(f"sqlite+aiosqlite:///{directory / 'startup.db'}"))
        with httpx.Client(base_url=server.control_url + "/", timeout=30) as control:
            seconds = [_one_run(directory, server.base_url, control) for _ in range(RUNS)]
    median = statistics.median(seconds)
    print(
        f"startup: `jianfu run` to its first getUpdates, {RUNS} runs: median {median:.2f} s, "
        f"min {min(seconds):.2f} s, max {max(seconds):.2f} s "
        f"(goal <= {GOAL_S:g} s: {'met' if median <= GOAL_S else 'missed'})"
    )
