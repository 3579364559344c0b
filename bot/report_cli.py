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
from bot.features.supervision.query import Period, log_report, write_log_csv
from bot.platform.errors import FatalError
from bot.platform.i18n import Catalogs
from bot.platform.settings import Settings
from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import ensure_at_head
from bot.platform.storage.models import Chat, MessageLog


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
    period = Period(
        first, last, settings.defaults.timezone, None if chat_id is None else frozenset({chat_id})
    )
    asyncio.run(_report(settings, catalogs, period, fmt, out, lang))
    return 0


async def _report(
    settings: Settings,
    catalogs: Catalogs,
    period: Period,
    fmt: str,
    out: Path | None,
    lang: str,
) -> None:
    engine = create_engine(settings.database.url)
    try:
        await ensure_at_head(engine)
        async with session_factory(engine)() as session:
            for chat_id in period.chats or ():
                if await _known_chat(session, chat_id):
                    continue
                raise FatalError(
                    f"chat {chat_id} is not in the database: give a group's chat id "
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


async def _known_chat(session: AsyncSession, chat_id: int) -> bool:
    known = select(
        exists().where(Chat.chat_id == chat_id) | exists().where(MessageLog.chat_id == chat_id)
    )
    return bool((await session.execute(known)).scalar())
