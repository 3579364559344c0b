"""The alarm clock on PTB's real JobQueue: a bot that starts runs its ticks at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from telegram.ext import ApplicationBuilder

from bot.edge.alarm import ALARM_JOB, TICK_INTERVAL, Alarm
from bot.edge.context import JianfuApplication


async def test_the_ticks_run_at_start_up_not_a_tick_interval_later() -> None:
    application = ApplicationBuilder().token("123456:alarm-test").build()
    job_queue = application.job_queue
    assert job_queue is not None
    await job_queue.start()
    try:
        started = datetime.now(UTC)
        Alarm(cast(JianfuApplication, application), cast(Any, None)).start()
        # What fell due while the bot was down is caught up on now, not a minute from now.
        rings = [job.next_t for job in job_queue.jobs() if (job.name or "").startswith(ALARM_JOB)]
        first = min(at for at in rings if at is not None)
        assert first < started + TICK_INTERVAL / 2
    finally:
        await job_queue.stop(wait=False)
