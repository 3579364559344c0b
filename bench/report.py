"""jianfu report over 1,000,000 log rows in SQLite: seconds to read the model, and to build each
rendering (text, HTML, JSON from the model; CSV streamed from the rows), wall-clock and CPU
seconds."""

from __future__ import annotations

import io
import os
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.features.supervision.csv_log import CsvLog
from bot.features.supervision.output import render
from bot.features.supervision.query import Period, log_report, write_log_csv
from bot.platform.i18n import load_catalogs
from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import Chat, MessageLog
from policies.group_policy import GroupPolicy

ROWS = int(os.environ.get("JIANFU_BENCH_REPORT_ROWS", 1_000_000))
ACTIONS = ("passed",) * 6 + ("held", "absorbed", "urgent_passed", "merged", "exempt")
LABELS = (["notice"], ["chat"], ["ack"], ["data_request"], ["demand_reply"], ["urgent", "notice"])


class Took:
    """Wall-clock and CPU seconds of one step (CPU time is what a busy machine does not skew)."""

    def __init__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        self.wall = self.cpu = 0.0

    def stop(self) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu

    def __str__(self) -> str:
        return f"{self.wall:7.2f} s ({self.cpu:6.2f} s CPU)"


@contextmanager
def timed() -> Iterator[Took]:
    took = Took()
    try:
        yield took
    finally:
        took.stop()


async def fill(url: str) -> None:
    await upgrade_to_head(url)
    engine = create_engine(url)
    rng = random.Random(14)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    async with engine.begin() as connection:
        chats = [-1001000000000 - n for n in range(20)]
        await connection.execute(
            insert(Chat), [{"chat_id": c, "type": "supergroup", "title": f"群{c}"} for c in chats]
        )
        batch = []
        for number in range(ROWS):
            at = start + timedelta(seconds=number * 30)
            after = at.hour >= 13 or at.hour < 0 or at.weekday() >= 5
            batch.append(
                {
                    "chat_id": chats[number % 20],
                    "message_id": number,
                    "sender_id": 1000 + rng.randint(0, 500),
                    "sent_at": at,
                    "received_at": at,
                    "labels": rng.choice(LABELS),
                    "action": rng.choice(ACTIONS),
                    "after_hours": after,
                    "quiet_reason": "quiet_hours" if after else None,
                    "urgent_reason": "暴雨预警",
                    "text": "请各村今天下班前报送低保户名单",
                }
            )
            if len(batch) == 20_000:
                await connection.execute(insert(MessageLog), batch)
                batch = []
        if batch:
            await connection.execute(insert(MessageLog), batch)
    await engine.dispose()


async def run() -> None:
    catalogs = load_catalogs()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        await fill(url)
        print(f"   {ROWS:,} log rows written in {time.perf_counter() - started:.0f} s")
        engine = create_engine(url)
        period = Period(date(2024, 1, 1), date(2024, 12, 31), "Asia/Shanghai")
        async with session_factory(engine)() as session:
            with timed() as took:
                report = await log_report(session, period, GroupPolicy())
            print(
                f"   model  {took}  ({report.total.counts.messages:,} rows, "
                f"{len(report.groups)} groups)"
            )
            for fmt in ("text", "html", "json"):
                out = io.BytesIO()
                with timed() as took:
                    render(report, fmt, catalogs, "zh-Hans", out)
                size = len(out.getvalue()) / 1024
                print(f"   {fmt:5}  {took}  ({size:,.0f} KiB, from the model)")
            out = io.BytesIO()
            with timed() as took:
                csv = CsvLog(out, catalogs, "zh-Hans")
                await write_log_csv(session, period, GroupPolicy(), csv)
                csv.close()
            print(f"   csv    {took}  ({len(out.getvalue()) / 1e6:,.0f} MB, every row read again)")
        await engine.dispose()
