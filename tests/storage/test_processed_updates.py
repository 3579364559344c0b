"""The record of processed updates: resumed from, and forgotten once a day after KEEP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import ManualClock
from bot.platform.daily import Daily
from bot.platform.processed import (
    KEEP,
    forget_processed_before,
    mark_processed,
    processed_among,
    resume_offset,
)
from bot.platform.storage.models import ProcessedUpdate

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


async def stored_ids(sessions: async_sessionmaker[AsyncSession]) -> list[int]:
    async with sessions() as session:
        return list(await session.scalars(select(ProcessedUpdate.update_id).order_by("update_id")))


async def test_records_older_than_keep_are_forgotten_once_a_day_but_the_newest(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        await mark_processed(session, [10, 11], NOW - KEEP - timedelta(hours=1))
        await mark_processed(session, [12], NOW - timedelta(hours=1))
        await session.commit()
    clock = ManualClock(NOW)
    daily = Daily(clock, lambda now: forget_processed_before(session_factory, now))

    assert await daily.tick() == NOW + timedelta(days=1)
    assert await stored_ids(session_factory) == [12]

    async with session_factory() as session:
        await mark_processed(session, [13], NOW)
        await session.commit()
    clock.set(NOW + KEEP + timedelta(hours=1))  # both are old now; the newest stays to resume
    await daily.tick()
    assert await stored_ids(session_factory) == [13]


async def test_the_job_waits_a_day_between_runs(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    clock = ManualClock(NOW)
    daily = Daily(clock, lambda now: forget_processed_before(session_factory, now))
    await daily.tick()
    async with session_factory() as session:
        await mark_processed(session, [20, 21], NOW - KEEP - timedelta(days=1))
        await session.commit()
    clock.set(NOW + timedelta(hours=23))
    assert await daily.tick() == NOW + timedelta(days=1)
    assert await stored_ids(session_factory) == [20, 21]
    clock.set(NOW + timedelta(days=1))
    await daily.tick()
    assert await stored_ids(session_factory) == [21]


async def test_polling_resumes_after_the_last_update_while_telegram_still_numbers_on(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        assert await resume_offset(session, NOW) is None
        await mark_processed(session, [7, 8], NOW)
        await mark_processed(session, [8], NOW)  # a redelivered update is recorded once
        assert await processed_among(session, [6, 7, 8]) == {7, 8}
        assert await resume_offset(session, NOW + timedelta(days=1)) == 9
        assert await resume_offset(session, NOW + KEEP) is None
