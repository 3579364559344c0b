"""Outbox pacing in one group (Telegram: 20 messages a minute) against the test server.

25 messages to one group: the first window's worth goes at once, the rest after it. Prints the
time, the most messages the server saw in any 60 s (ceiling 20) and the 429s (goal: none).
Takes a little over a minute, since that is the group limit.
"""

from __future__ import annotations

from bench._server import busiest_window
from bench.outbox import drain_through
from testserver import BotApiServer

MESSAGES = 25
CEILING_PER_MINUTE = 20


async def run() -> None:
    server = BotApiServer()
    group = server.world.add_group("街道工作群")
    drained = await drain_through(server, [group.id], MESSAGES)
    print(f"outbox: {MESSAGES} messages to one group, SQLite file, limits on")
    print(
        f"  sent {drained.counts.sent} in {drained.seconds:.1f} s; most arrivals at the server "
        f"in any 60 s: {busiest_window(drained.performed, 60.0)} (ceiling {CEILING_PER_MINUTE}); "
        f"429 answers: {drained.refused}"
    )
