"""The test Bot API server away from the bot's event loop: on a thread of its own, or in a
process of its own (then it does not compete with the bot for the GIL either, as real Telegram
would not)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime

import httpx

from testserver import BotApiServer, RequestRecord
from testserver.process import launched
from testserver.server import DEFAULT_TOKEN


@contextmanager
def serving(server: BotApiServer) -> Iterator[BotApiServer]:
    """Serve in a background thread; set up the world before, read the records after."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bot-api-server", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result()
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


@dataclasses.dataclass(frozen=True)
class Standalone:
    """A test server in another process: where the bot finds it, and its control API."""

    token: str
    base_url: str
    base_file_url: str
    control: httpx.AsyncClient
    """Relative to /control/, no timeout (POST send_many answers once it has sent all)."""


@asynccontextmanager
async def standalone(now: datetime, token: str = DEFAULT_TOKEN) -> AsyncIterator[Standalone]:
    """`python -m testserver` on a free port, its world's clock stopped at `now`; stopped after."""
    with launched("--token", token, "--now", now.isoformat()) as server:
        async with httpx.AsyncClient(base_url=server.control_url + "/", timeout=None) as http:
            yield Standalone(token, server.base_url, server.base_file_url, http)


def busiest_window(records: list[RequestRecord], seconds: float) -> int:
    """The most requests that arrived within any `seconds` at the server."""
    times = sorted(record.at for record in records)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most
