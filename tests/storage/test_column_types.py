"""Values survive a round trip unchanged on both databases: UTC times, 64-bit ids, JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.storage.models import Chat, HeldMessage, HeldStatus, MessageLog, OutboxItem

Sessions = async_sessionmaker[AsyncSession]
SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2026, 2, 17, 23, 5, 42, 123456, tzinfo=UTC)


def outbox_item(key: str, not_before: datetime = NOW) -> OutboxItem:
    return OutboxItem(
        idempotency_key=key,
        kind="test",
        chat_id=-1001234567890123,
        method="sendMessage",
        payload={"text": "早上好"},
        not_before=not_before,
        created_at=NOW,
    )


async def test_datetimes_come_back_aware_utc(session_factory: Sessions) -> None:
    local = datetime(2026, 2, 18, 7, 5, 42, 123456, tzinfo=SHANGHAI)
    async with session_factory() as session:
        session.add(outbox_item("a", not_before=local))
        await session.commit()
    async with session_factory() as session:
        loaded = await session.scalar(select(OutboxItem.not_before))
    assert loaded == local
    assert loaded is not None
    assert loaded.tzinfo == UTC
    assert loaded.hour == 23  # stored as the UTC instant, not the local wall time


async def test_datetime_comparison_in_sql_is_chronological(session_factory: Sessions) -> None:
    async with session_factory() as session:
        session.add_all(
            [outbox_item(f"k{hours}", NOW + timedelta(hours=hours)) for hours in (-30, -1, 2, 48)]
        )
        await session.commit()
        due = await session.scalars(
            select(OutboxItem.idempotency_key)
            .where(OutboxItem.not_before <= NOW.astimezone(SHANGHAI))
            .order_by(OutboxItem.not_before)
        )
        assert list(due) == ["k-30", "k-1"]


async def test_naive_datetime_is_refused(session_factory: Sessions) -> None:
    async with session_factory() as session:
        session.add(outbox_item("naive", not_before=datetime(2026, 2, 17, 23, 0)))
        with pytest.raises(StatementError, match="naive datetime"):
            await session.commit()


@pytest.mark.parametrize("telegram_id", [-1001234567890123, 2**62, -(2**63), 2**63 - 1])
async def test_telegram_ids_keep_64_bits(session_factory: Sessions, telegram_id: int) -> None:
    async with session_factory() as session:
        session.add(Chat(chat_id=telegram_id, type="supergroup", title="村委会工作群"))
        session.add(
            MessageLog(
                chat_id=telegram_id,
                message_id=telegram_id,
                sender_id=telegram_id,
                sent_at=NOW,
                received_at=NOW,
                labels=["notice", "urgent"],
                action="held",
            )
        )
        await session.commit()
    async with session_factory() as session:
        chat = await session.get(Chat, telegram_id)
        log = await session.scalar(select(MessageLog).where(MessageLog.chat_id == telegram_id))
    assert chat is not None
    assert chat.chat_id == telegram_id
    assert log is not None
    assert (log.message_id, log.sender_id) == (telegram_id, telegram_id)
    assert log.labels == ["notice", "urgent"]


async def test_defaults_and_json_payload_round_trip(session_factory: Sessions) -> None:
    payload = {
        "text": "明早8点开会【紧急】",
        "entities": [{"type": "bold", "offset": 0, "length": 4}],
        "reply_to_message_id": 2**40,
        "forward_origin": None,
    }
    async with session_factory() as session:
        held = HeldMessage(
            chat_id=-100987,
            message_id=7,
            sender_id=42,
            sent_at=NOW,
            release_at=NOW + timedelta(hours=9),
            kind="text",
            payload=payload,
        )
        session.add(held)
        await session.commit()
        assert held.id > 0
    async with session_factory() as session:
        loaded = await session.get(HeldMessage, held.id)
    assert loaded is not None
    assert loaded.payload == payload
    assert (loaded.status, loaded.delete_status) == (HeldStatus.HELD, "pending")


async def test_outbox_ids_autoincrement_and_keys_are_unique(session_factory: Sessions) -> None:
    async with session_factory() as session:
        first, second = outbox_item("one"), outbox_item("two")
        session.add_all([first, second])
        await session.commit()
        assert second.id > first.id
        assert (first.status, first.attempts) == ("pending", 0)
    async with session_factory() as session:
        session.add(outbox_item("one"))
        with pytest.raises(IntegrityError):
            await session.commit()


@pytest.mark.parametrize(
    ("written", "stored", "reposted"),
    [
        ("明天\x00交材料", "明天\ufffd交材料", "明天\x00交材料"),
        ("\ud800孤", "\ufffd孤", "\ud800孤"),
        # A pair of surrogates left apart: one emoji, in the text column and the JSON alike.
        ("\ud83d\ude00", "😀", "😀"),
        ("\u202e料材\u202c😀𠀀", "\u202e料材\u202c😀𠀀", "\u202e料材\u202c😀𠀀"),
    ],
    ids=["nul", "lone-surrogate", "split-pair", "kept"],
)
async def test_any_text_is_stored_and_a_held_payload_keeps_the_original(
    session_factory: Sessions, written: str, stored: str, reposted: str
) -> None:
    async with session_factory() as session:
        session.add(
            MessageLog(
                chat_id=-100,
                message_id=1,
                sender_id=7,
                sent_at=NOW,
                received_at=NOW,
                labels=["chat"],
                action="passed",
                text=written,
            )
        )
        session.add(
            HeldMessage(
                chat_id=-100,
                message_id=1,
                sender_id=7,
                sent_at=NOW,
                release_at=NOW,
                kind="text",
                payload={"text": written},
            )
        )
        await session.commit()
    async with session_factory() as session:
        assert await session.scalar(select(MessageLog.text)) == stored
        held = await session.scalar(select(HeldMessage.payload))
    assert held == {"text": reposted}
