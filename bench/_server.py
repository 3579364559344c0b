"""The test Bot API server on an event loop of its own, so that its work is not the bot's."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from testserver import BotApiServer, RequestRecord


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


def busiest_window(records: list[RequestRecord], seconds: float) -> int:
    """The most requests that arrived within any `seconds` at the server."""
    times = sorted(record.at for record in records)
    most, first = 0, 0
    for last, at in enumerate(times):
        while at - times[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most
