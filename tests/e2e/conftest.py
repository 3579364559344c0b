"""End-to-end fixtures: a test Bot API server, a migrated database, the real Application."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.platform.clock import ManualClock
from bot.platform.storage.migrate import upgrade_to_head
from tests.e2e.harness import BotHarness, shanghai
from testserver.server import BotApiServer


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(shanghai(2026, 11, 18, 10))  # a Wednesday, in work time


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[BotApiServer]:
    api = BotApiServer(clock=clock.now)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
    api.assert_no_violations()


@pytest.fixture
async def harness(
    server: BotApiServer, db_url: str, clock: ManualClock
) -> AsyncIterator[BotHarness]:
    await upgrade_to_head(db_url)
    bot = BotHarness(server, db_url, clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
