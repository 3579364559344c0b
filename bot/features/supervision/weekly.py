"""The weekly report: opted into privately (/report weekly on|off), sent to each supervisor on
Monday at 09:00 in their scope's timezone, covering the week before.

Once per supervisor and week: the week's row in weekly_reports is inserted in the same
transaction that queues the report, and its key is (supervisor, Monday), so a restart, a retry
or a second instance finds it there and sends nothing. A bot that was down on Monday sends
that week's report when it is back (the latest week only).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.supervision.requests import (
    chat_texts,
    covered,
    document_buttons,
    new_request,
    post_text,
    request_report,
)
from bot.platform.essentials import Essentials
from bot.platform.group_policies import group_policy
from bot.platform.settings import Supervisor, SupervisorSettings
from bot.platform.storage.models import WeeklyReport, WeeklySubscription
from bot.platform.storage.upsert import insert_ignore
from policies.group_policy import GroupPolicy
from policies.message import Person
from policies.report_period import next_weekly, weekly_due, weekly_period
from policies.report_scope import Scope, scope_timezone


async def scope_zone(session: AsyncSession, scope: Scope, defaults: GroupPolicy) -> str:
    """The timezone of a scope: [defaults] timezone for every group, else the one most of its
    groups keep."""
    if scope.chats is None:
        return defaults.timezone
    zones = [(await group_policy(session, chat_id, defaults)).timezone for chat_id in scope.chats]
    return scope_timezone(zones, defaults.timezone)


class WeeklyReports:
    def __init__(
        self, base: Essentials, supervisors: SupervisorSettings, wake: Callable[[], None]
    ) -> None:
        self._base = base
        self._supervisors = supervisors
        self._wake = wake

    async def subscribe(
        self, person: Person, args: tuple[str, ...], lang: str, scope: Scope
    ) -> str:
        """/report weekly on|off from a supervisor; the reply."""
        base = self._base
        choice = args[0].lower() if len(args) == 1 else ""
        if choice not in ("on", "off"):
            return base.text("report.subscription.usage", lang)
        on, now = choice == "on", base.clock.now()
        async with base.sessions() as session:
            row = await session.get(WeeklySubscription, person.id)
            if row is None:
                row = WeeklySubscription(user_id=person.id, enabled=on, changed_at=now)
                session.add(row)
            elif row.enabled != on:
                row.enabled, row.changed_at = on, now
            row.language = lang
            zone = await scope_zone(session, scope, base.defaults)
            await session.commit()
        if not on:
            return base.text("report.subscription.off", lang)
        return base.text("report.subscription.on", lang, zone=zone)

    async def tick(self) -> datetime | None:
        """Queue each subscriber's report of the week now due, once; when the next one falls due."""
        base = self._base
        now = base.clock.now()
        wanted: list[datetime] = []
        async with base.sessions() as session:
            subscriptions = {
                row.user_id: row
                for row in await session.scalars(
                    select(WeeklySubscription).where(WeeklySubscription.enabled.is_(True))
                )
            }
        for person in self._supervisors.people:
            subscription = subscriptions.get(person.user_id)
            if subscription is None:
                continue
            async with base.sessions() as session:
                zone = await scope_zone(session, person.scope, base.defaults)
                monday = weekly_due(now, zone, subscription.changed_at)
                if monday is not None and await self._queue(
                    session, person, subscription.language, zone, monday, now
                ):
                    await session.commit()
            wanted.append(next_weekly(now, zone))
        self._wake()
        return min(wanted, default=None)

    async def _queue(
        self,
        session: AsyncSession,
        person: Supervisor,
        lang: str,
        zone: str,
        monday: date,
        now: datetime,
    ) -> bool:
        """The week's report for `person`, unless it was queued before; whether it was queued."""
        base = self._base
        sent = await session.get(WeeklyReport, (person.user_id, monday))
        if sent is not None:
            return False
        request = await new_request(
            session,
            reader_id=person.user_id,
            chat_id=None,
            period=weekly_period(monday),
            zone=zone,
            shown_in=person.user_id,
            now=now,
        )
        added = await insert_ignore(
            session,
            WeeklyReport,
            {
                "user_id": person.user_id,
                "week_of": monday,
                "request_id": request.id,
                "created_at": now,
            },
            keys=["user_id", "week_of"],
        )
        if not added:  # another instance was quicker
            await session.rollback()
            return False
        report = await request_report(
            session, request, covered(request, person.scope), base.defaults
        )
        header = base.text("report.subscription.header", lang)
        texts = chat_texts(report, base.catalogs, lang, header)
        await post_text(
            session, request, texts, document_buttons(base.catalogs, lang, request.id), now=now
        )
        return True
