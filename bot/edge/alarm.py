"""PTB's JobQueue as the alarm clock: it only wakes the bot; what is due is read from the
database by the ticks, and the earliest time they name is armed."""

from __future__ import annotations

from datetime import datetime, timedelta

from telegram.ext import JobQueue

from bot.edge.context import JianfuApplication, JianfuContext
from bot.platform.live import EDIT_INTERVAL
from bot.platform.services import Services

# The safety net; exact times are armed from what the ticks say they need.
TICK_INTERVAL = timedelta(seconds=60)
ALARM_JOB = "alarm"
SOON_JOB = "alarm:soon"
LIVE_SWEEP_JOB = "live-messages:sweep"


class Alarm:
    def __init__(self, application: JianfuApplication, services: Services) -> None:
        self._application = application
        self._services = services
        self._running = False

    def start(self) -> None:
        """Run the jobs (the leader does)."""
        self._running = True
        job_queue = self._job_queue()
        # The first run at start-up catches up on whatever fell due while the bot was down.
        # Not `first=0` of the repeating job: APScheduler puts a start already past (by the
        # time it is added) one whole interval later.
        self.ring_soon()
        job_queue.run_repeating(
            self._ring, interval=TICK_INTERVAL, first=TICK_INTERVAL, name=ALARM_JOB
        )
        # What the pipeline marks for editing is picked up within an edit interval.
        job_queue.run_repeating(
            self._sweep, interval=EDIT_INTERVAL, first=EDIT_INTERVAL, name=LIVE_SWEEP_JOB
        )

    def stop(self) -> None:
        """No more jobs here: this instance no longer leads (or stops)."""
        self._running = False
        for job in self._job_queue().jobs():
            job.schedule_removal()

    async def arm(self, due: datetime | None) -> None:
        """Wake up at `due` too (only a future time: what is due now waits for the safety net,
        rather than re-arming the alarm in a tight loop); only while the jobs run here."""
        if not self._running or due is None or due <= self._services.clock.now():
            return
        job_queue = self._job_queue()
        name = f"{ALARM_JOB}:{due.isoformat()}"
        if not job_queue.get_jobs_by_name(name):
            job_queue.run_once(self._ring, when=due, name=name)

    def ring_soon(self) -> None:
        """Run the ticks as soon as the loop is free: new work is due now (a message left it,
        so this is no loop of a tick re-arming itself)."""
        job_queue = self._job_queue()
        if not job_queue.get_jobs_by_name(SOON_JOB):
            job_queue.run_once(self._ring, when=0, name=SOON_JOB)

    async def _ring(self, context: JianfuContext) -> None:
        await self.arm(await self._services.run_ticks())

    async def _sweep(self, context: JianfuContext) -> None:
        await self.arm(await self._services.live.tick())
        self._services.outbox.wake()

    def _job_queue(self) -> JobQueue[JianfuContext]:
        job_queue = self._application.job_queue
        assert job_queue is not None, "python-telegram-bot[job-queue] is a dependency"
        return job_queue
