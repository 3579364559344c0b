"""`jianfu report` from the log in a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from bot.features.supervision.query import Period, log_report
from bot.platform.storage.models import (
    AckRequest,
    Chat,
    DataRequestRecord,
    DuplicateMatch,
    HeldMessage,
    MessageLog,
    User,
)
from policies.group_policy import GroupPolicy

CHAT = -1001234567890
DAY = datetime(2024, 5, 8, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai
NIGHT = DAY + timedelta(hours=12, minutes=30)  # 22:30


def log_row(
    message_id: int, at: datetime, action: str, labels: list[str], **extra: object
) -> MessageLog:
    values: dict[str, object] = {
        "chat_id": CHAT,
        "message_id": message_id,
        "sender_id": 7,
        "sent_at": at,
        "received_at": at,
        "labels": labels,
        "action": action,
        "after_hours": at == NIGHT,
        "quiet_reason": "quiet_hours" if at == NIGHT else None,
        "text": f"消息{message_id}",
    }
    return MessageLog(**(values | extra))


async def fill(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        session.add(Chat(chat_id=CHAT, type="supergroup", title="村务群"))
        session.add(User(user_id=7, first_name="张", last_name="三", updated_at=DAY))
        session.add_all(
            [
                log_row(1, DAY, "passed", ["demand_reply"]),
                log_row(2, DAY, "absorbed", ["ack"], sender_id=8),
                log_row(3, NIGHT, "held", ["notice"]),
                log_row(4, NIGHT, "urgent_passed", ["urgent", "notice"], urgent_reason="暴雨"),
                log_row(5, DAY - timedelta(days=30), "passed", ["chat"]),  # outside the period
            ]
        )
        session.add(
            AckRequest(
                chat_id=CHAT,
                request_message_id=1,
                created_at=DAY,
                expires_at=DAY + timedelta(days=1),
                total_members=40,
                instant_reply=True,
            )
        )
        session.add(
            HeldMessage(
                chat_id=CHAT,
                message_id=3,
                sent_at=NIGHT,
                release_at=DAY,
                kind="text",
                payload={},
                status="released",
            )
        )
        await session.commit()
        # Two requests in the group repeat one asked in another group; admins rejected one.
        for request_id, chat_id, message_id, at in (
            (1, -1009999, 1, DAY - timedelta(days=40)),
            (2, CHAT, 1, DAY),
            (3, CHAT, 4, NIGHT),
        ):
            session.add(
                DataRequestRecord(
                    id=request_id, chat_id=chat_id, message_id=message_id, sent_at=at, key={}
                )
            )
        await session.flush()
        session.add(DuplicateMatch(request_id=2, earlier_id=1, created_at=DAY))
        session.add(DuplicateMatch(request_id=3, earlier_id=1, status="rejected", created_at=DAY))
        await session.commit()


async def test_log_report_counts_the_period(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await fill(session_factory)
    async with session_factory() as session:
        period = Period(date(2024, 5, 1), date(2024, 5, 31), "Asia/Shanghai")
        report = await log_report(session, period, GroupPolicy())
    counts = report.total.counts
    assert (counts.messages, counts.after_hours, counts.held, counts.released) == (4, 2, 1, 1)
    assert (counts.reply_demands, counts.instant_reply_demands, counts.acks_absorbed) == (1, 1, 1)
    assert report.total.notifications_saved == 40
    assert counts.duplicate_requests == 1
    assert report.total.urgent_passes[0].reason == "暴雨"
    assert report.total.senders[0].name == "张 三"


@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_report_command_reads_the_database(
    db_url: str,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fmt: str,
) -> None:
    await fill(session_factory)
    monkeypatch.setenv("JIANFU_DATABASE_URL", db_url)
    monkeypatch.delenv("JIANFU_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / f"report.{fmt}"
    argv = [
        "report",
        "--chat",
        str(CHAT),
        "--since",
        "2024-05-01",
        "--until",
        "2024-05-31",
        "--format",
        fmt,
        "--out",
        str(out),
    ]
    # main runs its own event loop: run it in a thread of its own.
    import asyncio

    assert await asyncio.to_thread(main, argv) == 0
    if fmt == "json":
        data = json.loads(out.read_text())
        assert (data["messages"], data["held"], data["released"]) == (4, 1, 1)
    else:
        rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
        assert len(rows) == 5 and rows[1][4] == "张 三"
    assert await asyncio.to_thread(main, [*argv[:1], "--chat", "-5", *argv[3:]]) == 2
