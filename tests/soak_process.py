"""The bot for the soak test, in a process of its own that the test kills: `python soak_process.py`.

It is the bot `jianfu run` runs (the one composition root, `bot.edge.runner.serve`: leadership,
polling, the outbox), with two differences a test needs: its clock is the time written in a
file the test moves on, and it plays the alarm clock itself, running every feature's due work
a few times a second (the JobQueue waits real seconds, which a moved clock does not take).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from bot.app import build_application
from bot.edge.context import JianfuApplication
from bot.edge.runner import serve
from bot.platform.logging_setup import configure_logging
from bot.platform.settings import load_settings

TICK_S = 0.05


class FileClock:
    """The instant written in a file (ISO 8601 with its offset), read again when it changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._seen: tuple[int, int] | None = None
        self._now = datetime.now(UTC)

    def now(self) -> datetime:
        status = os.stat(self._path)
        seen = (status.st_mtime_ns, status.st_size)
        if seen != self._seen:
            self._seen = seen
            self._now = datetime.fromisoformat(self._path.read_text().strip()).astimezone(UTC)
        return self._now


def write_clock(path: Path, instant: datetime) -> None:
    """Move the bot's clock: write the new time and put it in place at once."""
    written = path.with_suffix(".new")
    written.write_text(instant.isoformat())
    os.replace(written, path)


async def _alarm(application: JianfuApplication) -> None:
    """Run the due work while this instance leads, as the alarm clock would when it rings."""
    services = application.bot_data.services
    job_queue = application.job_queue
    assert job_queue is not None
    while True:
        await asyncio.sleep(TICK_S)
        if services.gate.open() and services.background:
            # This loop rings instead (the JobQueue's dates are the moved clock's).
            job_queue.scheduler.pause()
            with contextlib.suppress(Exception):
                await services.run_ticks()


async def _main(config: Path, clock: Path) -> None:
    settings = load_settings(config, os.environ)
    configure_logging(settings.logging, settings.secrets())
    application = build_application(settings, FileClock(clock))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    alarm = asyncio.create_task(_alarm(application))
    try:
        await serve(application, settings, stop)
    finally:
        alarm.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True, type=Path)
    parser.add_argument("--clock", required=True, type=Path)
    arguments = parser.parse_args()
    asyncio.run(_main(arguments.config, arguments.clock))
