"""/report end to end: who reads what (supervisors within their scope, a group's admins, not
members), the text report in a group and in private, the HTML and CSV files through the outbox
exactly once, the weekly report once per week, and the retention of message texts."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from bot.platform.clock import ManualClock
from bot.platform.i18n import text
from bot.platform.settings import (
    RetentionSettings,
    Settings,
    Supervisor,
    SupervisorSettings,
    load_settings,
)
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import HeldMessage, MessageLog, OutboxItem, WeeklyReport
from policies.report_scope import EVERY_GROUP, Scope
from tests.e2e.harness import BotHarness, shanghai
from tests.e2e.scenes import (
    bot_may_delete,
    drained,
    private_texts,
    restarted,
    step,
    stop_alarm_clock,
    toast,
)
from testserver.server import BotApiServer
from testserver.world import Chat, ChatMessage, User, World

EAST, WEST = "青石镇工作群", "河东村工作群"


@dataclass
class Scene:
    harness: BotHarness
    chief: User  # supervises every group
    inspector: User  # supervises the east group only
    admin: User  # an admin of the east group
    member: User  # a member of both
    english_admin: User  # an admin of the west group who reads English
    east: Chat
    west: Chat

    @property
    def world(self) -> World:
        return self.harness.world


def supervisors_of(scene_people: dict[str, User], east: Chat) -> Settings:
    """The built-in settings with two supervisors (one for every group, one for `east`)."""
    return dataclasses.replace(
        load_settings(None, {}),
        supervisors=SupervisorSettings(
            (
                Supervisor(scene_people["chief"].id, EVERY_GROUP),
                Supervisor(scene_people["inspector"].id, Scope(frozenset({east.id}))),
            )
        ),
        retention=RetentionSettings(30),
    )


@pytest.fixture
async def scene(server: BotApiServer, db_url: str, clock: ManualClock) -> AsyncIterator[Scene]:
    world = server.world
    people = {
        "chief": world.add_user("周督查"),
        "inspector": world.add_user("吴督导"),
        "admin": world.add_user("王主任"),
        "member": world.add_user("李明"),
        "english_admin": world.add_user("Anna", language_code="en"),
    }
    east = world.add_group(EAST, admins=[people["admin"]], members=[people["member"]])
    west = world.add_group(
        WEST, admins=[people["english_admin"]], members=[people["member"], people["chief"]]
    )
    await upgrade_to_head(db_url)
    harness = BotHarness(server, db_url, clock, supervisors_of(people, east))
    await harness.start()
    try:
        stop_alarm_clock(harness)
        for group in (east, west):
            await bot_may_delete(harness, group)
        for person in people.values():
            world.send(person, world.private_chat(person), "/start")
        await drained(harness)
        yield Scene(harness, east=east, west=west, **people)
    finally:
        await harness.stop()


async def traffic(s: Scene) -> None:
    """Wednesday: two messages in the east group by day, one at night (held); one in the west."""
    world, harness = s.world, s.harness
    world.send(s.admin, s.east, "请各村今天下班前报送低保户名单")
    world.send(s.member, s.east, "好的,马上整理")
    world.send(s.member, s.west, "河东村的灭火器台账已经上传")
    await step(harness)
    harness.clock.set(shanghai(2026, 11, 18, 23, 10))
    world.send(s.admin, s.east, "明天上午九点开会")
    await step(harness)
    harness.clock.set(shanghai(2026, 11, 19, 10))  # Thursday, after the release at 08:00
    await step(harness)


def documents(s: Scene, user: User) -> list[ChatMessage]:
    return [m for m in s.world.sent_by_bot(s.world.private_chat(user)) if m.media]


def report_in(s: Scene, chat: Chat) -> ChatMessage:
    """The bot's (only) message with report buttons in `chat`."""
    (found,) = [
        m for m in s.world.sent_by_bot(chat) if any(d.startswith("rph:") for d in m.callback_data)
    ]
    return found


async def pressed(
    s: Scene, user: User, message: ChatMessage, data: str, *, check: bool = True
) -> str:
    press = s.world.press(user, message, data, check=check)
    await step(s.harness)
    await drained(s.harness)
    return toast(press)


def labels(message: ChatMessage) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [str(b["text"]) for row in rows for b in row]


def button(message: ChatMessage, prefix: str) -> str:
    (data,) = [d for d in message.callback_data if d.startswith(prefix)]
    return data


async def test_the_admin_reads_the_group_report_in_the_group_and_a_member_nothing(
    scene: Scene,
) -> None:
    s, world = scene, scene.world
    await traffic(s)
    world.send(s.member, s.east, "/report")
    await step(s.harness)
    assert [m.text for m in world.sent_by_bot(s.east) if m.text and "督查" in m.text] == [
        text("report.chat.admins_only", "zh-Hans")
    ]

    world.send(s.admin, s.east, "/report 7d")
    await step(s.harness)
    await drained(s.harness)
    report = report_in(s, s.east)
    assert report.text is not None
    assert report.text.startswith(text("report.title_log", "zh-Hans"))
    assert f"{text('report.figure.messages', 'zh-Hans')}:3" in report.text
    assert f"{text('report.figure.held', 'zh-Hans')}:1" in report.text
    assert WEST not in report.text

    assert all(len(data.encode()) <= 64 for data in report.callback_data)
    assert await pressed(s, s.member, report, button(report, "rph:")) == text(
        "report.toast.denied", "zh-Hans"
    )
    assert documents(s, s.member) == []
    # Forged data naming no request, or a request shown elsewhere, changes nothing.
    world.send(s.chief, world.private_chat(s.chief), "/report")
    await step(s.harness)
    await drained(s.harness)
    (menu,) = [m for m in world.sent_by_bot(world.private_chat(s.chief)) if m.callback_data]
    elsewhere = menu.callback_data[0].split(":")[1]
    for forged in ("rph:99999999", f"rph:{elsewhere}", f"rpc:{elsewhere}", f"rpo:{elsewhere}"):
        assert await pressed(s, s.admin, report, forged, check=False) == text(
            "report.toast.gone", "zh-Hans"
        )
    assert documents(s, s.admin) == []

    assert await pressed(s, s.admin, report, button(report, "rph:")) == text(
        "report.toast.sending", "zh-Hans"
    )
    assert await pressed(s, s.admin, report, button(report, "rph:")) == text(
        "report.toast.already", "zh-Hans"
    )
    (html,) = documents(s, s.admin)
    assert html.media is not None and html.media.file_name is not None
    assert html.media.file_name.endswith(".html")
    page = html.media.content.decode("utf-8")
    assert EAST in page and WEST not in page and "http" not in page.split("<body>")[1]

    await pressed(s, s.admin, report, button(report, "rpc:"))
    (_, sheet) = documents(s, s.admin)
    assert sheet.media is not None
    assert sheet.media.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(sheet.media.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 3 and {row[1] for row in rows[1:]} == {EAST}

    # Rights are checked at every press: a demoted admin gets nothing more.
    world.set_member_status(s.east, s.admin, "member")
    await step(s.harness)
    assert await pressed(s, s.admin, report, button(report, "rpc:")) == text(
        "report.toast.denied", "zh-Hans"
    )
    assert len(documents(s, s.admin)) == 2


async def test_an_admin_reads_in_their_own_language(scene: Scene) -> None:
    s, world = scene, scene.world
    await traffic(s)
    world.send(s.english_admin, s.west, "/report 30d")
    await step(s.harness)
    await drained(s.harness)
    report = report_in(s, s.west)
    assert report.text is not None and report.text.startswith(text("report.title_log", "en"))
    assert f"{text('report.figure.messages', 'en')}:1" in report.text
    assert await pressed(s, s.english_admin, report, button(report, "rph:")) == text(
        "report.toast.sending", "en"
    )
    (html,) = documents(s, s.english_admin)
    assert html.media is not None
    assert '<html lang="en">' in html.media.content.decode("utf-8")


async def test_a_supervisor_picks_within_their_scope_in_private(scene: Scene) -> None:
    s, world = scene, scene.world
    await traffic(s)
    world.send(s.inspector, world.private_chat(s.inspector), "/report 7d")
    world.send(s.chief, world.private_chat(s.chief), "/report 7d")
    await step(s.harness)
    await drained(s.harness)
    (inspector_menu,) = [
        m for m in world.sent_by_bot(world.private_chat(s.inspector)) if m.callback_data
    ]
    (chief_menu,) = [m for m in world.sent_by_bot(world.private_chat(s.chief)) if m.callback_data]
    assert all(len(data.encode()) <= 64 for data in chief_menu.callback_data)
    assert labels(inspector_menu) == [EAST, text("report.chat.all_groups", "zh-Hans", count=1)]
    assert labels(chief_menu) == [WEST, EAST, text("report.chat.all_groups", "zh-Hans", count=2)]

    # Another supervisor's button, forged into one's own chat, shows nothing.
    west_pick = chief_menu.callback_data[0]
    assert await pressed(s, s.inspector, inspector_menu, west_pick, check=False) == text(
        "report.toast.gone", "zh-Hans"
    )
    # The inspector's "all" is their scope: the east group, never the west.
    assert await pressed(s, s.inspector, inspector_menu, inspector_menu.callback_data[-1]) == text(
        "report.toast.shown", "zh-Hans"
    )
    assert await pressed(s, s.inspector, inspector_menu, inspector_menu.callback_data[-1]) == text(
        "report.toast.shown", "zh-Hans"
    )
    inspector_report = report_in(s, world.private_chat(s.inspector))
    assert inspector_report.text is not None
    assert EAST in inspector_report.text and WEST not in inspector_report.text
    await pressed(s, s.inspector, inspector_report, button(inspector_report, "rpc:"))
    (sheet,) = documents(s, s.inspector)
    assert sheet.media is not None
    assert WEST not in sheet.media.content.decode("utf-8-sig")

    await pressed(s, s.chief, chief_menu, chief_menu.callback_data[-1])
    chief_report = report_in(s, world.private_chat(s.chief))
    assert chief_report.text is not None
    assert text("report.total", "zh-Hans", groups=2) in chief_report.text
    assert EAST in chief_report.text and WEST in chief_report.text


async def test_members_are_refused_privately_and_told_their_id(scene: Scene) -> None:
    s, world = scene, scene.world
    world.send(s.member, world.private_chat(s.member), "/report")
    await step(s.harness)
    assert private_texts(s.harness, s.member)[-1] == text(
        "report.chat.supervisors_only", "zh-Hans", user_id=s.member.id
    )
    world.send(s.admin, world.private_chat(s.admin), "/report 2026-12")
    world.send(s.chief, world.private_chat(s.chief), "/report 2026-12")
    world.send(s.chief, world.private_chat(s.chief), "/report last week")
    await step(s.harness)
    assert private_texts(s.harness, s.admin)[-1] == text(
        "report.chat.supervisors_only", "zh-Hans", user_id=s.admin.id
    )
    assert private_texts(s.harness, s.chief)[-2:] == [
        text("report.chat.future", "zh-Hans", month="2026-12"),
        text("report.chat.usage", "zh-Hans"),
    ]


async def test_a_file_arrives_once_after_a_send_failure(scene: Scene) -> None:
    s, world = scene, scene.world
    await traffic(s)
    world.send(s.admin, s.east, "/report")
    await step(s.harness)
    await drained(s.harness)
    report = report_in(s, s.east)
    s.harness.server.inject_fault("sendDocument", "500")
    assert await pressed(s, s.admin, report, button(report, "rph:")) == text(
        "report.toast.sending", "zh-Hans"
    )
    assert documents(s, s.admin) == []
    async with s.harness.services.sessions() as session:
        waiting = await session.scalar(select(OutboxItem).where(OutboxItem.kind == "report/html"))
    assert waiting is not None and (waiting.status, waiting.attempts) == ("pending", 1)
    assert await pressed(s, s.admin, report, button(report, "rph:")) == text(
        "report.toast.already", "zh-Hans"
    )
    s.harness.clock.advance(timedelta(minutes=1))  # past the outbox's backoff
    await drained(s.harness)
    await step(s.harness)
    (html,) = documents(s, s.admin)
    assert html.media is not None and EAST in html.media.content.decode("utf-8")


def period_line(since: date, until: date) -> str:
    return text("report.period", "zh-Hans", since=since, until=until, days=7)


def weekly_reports(s: Scene, user: User) -> list[ChatMessage]:
    header = text("report.subscription.header", "zh-Hans")
    return [
        m
        for m in s.world.sent_by_bot(s.world.private_chat(user))
        if (m.text or "").startswith(header)
    ]


async def test_the_weekly_report_comes_once_a_week_across_restarts(
    scene: Scene, db_url: str
) -> None:
    s, world = scene, scene.world
    await traffic(s)
    world.send(s.chief, world.private_chat(s.chief), "/report weekly on")
    await step(s.harness)
    assert private_texts(s.harness, s.chief)[-1] == text(
        "report.subscription.on", "zh-Hans", zone="Asia/Shanghai"
    )
    s.harness.clock.set(shanghai(2026, 11, 23, 8, 59))  # Monday, a minute early
    await step(s.harness)
    assert weekly_reports(s, s.chief) == []

    s.harness.clock.set(shanghai(2026, 11, 23, 9, 0))
    # A second instance on the same database ticks too; the week's row lets only one through.
    # Instances run side by side on PostgreSQL; a SQLite database belongs to one process (its
    # driver runs on the event loop, so two engines in one loop would wait on each other).
    other = BotHarness(s.harness.server, db_url, s.harness.clock, s.harness.settings)
    if db_url.startswith("postgresql"):
        await asyncio.gather(s.harness.tick(), other.services.run_ticks())
    else:
        await s.harness.tick()
        await other.services.run_ticks()
    await other.services.engine.dispose()
    await drained(s.harness)
    (first,) = weekly_reports(s, s.chief)
    assert first.text is not None
    assert period_line(date(2026, 11, 16), date(2026, 11, 22)) in first.text
    assert EAST in first.text and WEST in first.text
    assert any(d.startswith("rph:") for d in first.callback_data)

    async with restarted(s.harness, after=timedelta(minutes=5)) as again:
        stop_alarm_clock(again)
        await again.tick()
        await drained(again)
        assert len(weekly_reports(s, s.chief)) == 1
    # Down over two Mondays (30 Nov, 7 Dec): one catch-up when it is back, for the latest week.
    async with restarted(again, after=timedelta(days=16)) as later:
        stop_alarm_clock(later)
        await later.tick()
        await drained(later)
        await later.tick()
        await drained(later)
        reports = weekly_reports(s, s.chief)
        assert len(reports) == 2
        assert period_line(date(2026, 11, 30), date(2026, 12, 6)) in (reports[-1].text or "")
        async with later.services.sessions() as session:
            weeks = list(await session.scalars(select(WeeklyReport.week_of)))
        assert [w.isoformat() for w in sorted(weeks)] == ["2026-11-23", "2026-12-07"]
        assert weekly_reports(s, s.inspector) == []

        world.send(s.chief, world.private_chat(s.chief), "/report weekly off")
        await step(later)
        later.clock.set(shanghai(2026, 12, 14, 9, 30))
        await later.tick()
        await drained(later)
        assert len(weekly_reports(s, s.chief)) == 2


async def test_retention_empties_old_texts_but_keeps_rows_and_held_messages(scene: Scene) -> None:
    s, world, harness = scene, scene.world, scene.harness
    day = world.send(s.admin, s.east, "请各村今天下班前报送低保户名单")
    await step(harness)
    harness.clock.set(shanghai(2026, 11, 18, 23, 10))
    night = world.send(s.admin, s.east, "明天上午九点开会")
    await step(harness)
    async with harness.services.sessions() as session:
        # A message still held (its release lies ahead) keeps its text, whatever its age.
        await session.execute(
            update(HeldMessage).values(release_at=harness.clock.now() + timedelta(days=400))
        )
        await session.commit()

    async def texts() -> dict[int, str | None]:
        async with harness.services.sessions() as session:
            rows = await session.execute(select(MessageLog.message_id, MessageLog.text))
            return {message_id: body for message_id, body in rows}

    harness.clock.set(shanghai(2026, 12, 18, 9, 59))  # [retention] message_text_days = 30
    await harness.tick()
    assert await texts() == {day.message_id: day.text, night.message_id: night.text}

    recent = world.send(s.member, s.east, "低保户名单已经报了")
    await step(harness)
    harness.clock.set(shanghai(2026, 12, 19, 10, 0))  # the next day's run
    await harness.tick()
    assert await texts() == {
        day.message_id: None,
        night.message_id: night.text,
        recent.message_id: recent.text,
    }
    async with harness.services.sessions() as session:
        actions = list(await session.scalars(select(MessageLog.action).order_by(MessageLog.id)))
    assert actions == ["passed", "held", "passed"]  # the rows stay for the reports
