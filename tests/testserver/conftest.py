"""A started test Bot API server on a manual clock, and a PTB Bot talking to it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from telegram import Bot

from bot.platform.clock import ManualClock
from testserver import BotApiServer

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def server(clock: ManualClock) -> AsyncIterator[BotApiServer]:
    """Checks its own answers against the spec too; fails the test on a bot spec violation
    unless the test empties `server.violations` after provoking one on purpose."""
    async with BotApiServer(clock=clock.now, check_responses=True) as started:
        yield started
        started.assert_no_violations()


@pytest.fixture
async def bot(server: BotApiServer) -> AsyncIterator[Bot]:
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as client:
        yield client
