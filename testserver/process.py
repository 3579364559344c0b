"""`python -m testserver` in a process of its own: for tests, benchmarks and a bot in another
process (it then shares no event loop and no GIL with the bot, as real Telegram would not)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# A safety net for a server that does not stop, never a measure.
STOP_TIMEOUT_S = 30


@dataclass
class Launched:
    """Where the bot finds the server, where its control API is, and how it ended."""

    base_url: str
    base_file_url: str
    control_url: str
    exit_code: int | None = None


@contextmanager
def launched(*arguments: str) -> Iterator[Launched]:
    """The server on a free port with `arguments` (--token, --now …), stopped by SIGTERM after."""
    process = subprocess.Popen(
        [sys.executable, "-m", "testserver", "--port", "0", *arguments],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    base_url, base_file_url, control_url = (process.stdout.readline().strip() for _ in range(3))
    if not control_url:
        raise RuntimeError(f"python -m testserver exited with {process.wait(STOP_TIMEOUT_S)}")
    server = Launched(base_url, base_file_url, control_url)
    try:
        yield server
    finally:
        process.terminate()
        server.exit_code = process.wait(STOP_TIMEOUT_S)
