"""`jianfu report`: the supervision report of a period, read from the bot's database. The
command line is the operator: it sees every group."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.supervision.csv_log import CsvLog
from bot.features.supervision.output import ReportOutput, render
from bot.features.supervision.query import (
    Period,
    group_infos,
    log_entries,
    log_report,
    logged_chats,
)
from bot.platform.errors import FatalError
from bot.platform.i18n import Catalogs
from bot.platform.settings import Settings
from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import ensure_at_head
from bot.platform.storage.models import Chat, MessageLog
from policies.group_policy import GroupPolicy


def parsed_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FatalError(
            f"{option} {text!r} is not a date: write YYYY-MM-DD", exit_code=2
        ) from None


def run_report(
    settings: Settings,
    catalogs: Catalogs,
    *,
    chat_id: int | None,
    since: str,
    until: str,
    fmt: str,
    out: Path | None,
    lang: str,
) -> int:
    first, last = parsed_day(since, "--since"), parsed_day(until, "--until")
    if first > last:
        raise FatalError(
            f"--since {first} is after --until {last}: give the earlier day first", exit_code=2
        )
    period = Period(first, last, settings.defaults.timezone, chat_id)
    asyncio.run(_report(settings, catalogs, period, fmt, out, lang))
    return 0


async def _report(
    settings: Settings, catalogs: Catalogs, period: Period, fmt: str, out: Path | None, lang: str
) -> None:
    engine = create_engine(settings.database.url)
    try:
        await ensure_at_head(engine)
        async with session_factory(engine)() as session:
            if period.chat_id is not None and not await _known_chat(session, period.chat_id):
                raise FatalError(
                    f"chat {period.chat_id} is not in the database: give a group's chat id "
                    "(e.g. -1001234567890) or leave out --chat",
                    exit_code=2,
                )
            with ReportOutput(out) as target:
                if fmt == "csv":
                    csv = CsvLog(target.binary, catalogs, lang)
                    await write_log_csv(session, period, settings.defaults, csv)
                    csv.close()
                else:
                    report = await log_report(session, period, settings.defaults)
                    render(report, fmt, catalogs, lang, target.binary)
                target.commit()
    finally:
        await engine.dispose()


async def write_log_csv(
    session: AsyncSession, period: Period, defaults: GroupPolicy, csv: CsvLog
) -> None:
    """The period's log rows, each with its group's title and local time."""
    infos = await group_infos(session, await logged_chats(session, period), defaults)
    async for entry, name in log_entries(session, period, with_names=True):
        info = infos[entry.chat_id]
        csv.row(entry, info.title, name, info.policy.timezone)


async def _known_chat(session: AsyncSession, chat_id: int) -> bool:
    known = select(
        exists().where(Chat.chat_id == chat_id) | exists().where(MessageLog.chat_id == chat_id)
    )
    return bool((await session.execute(known)).scalar())
