"""The message intake: a batch in one transaction; a poison message set aside, the rest kept."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import ManualClock
from bot.platform.gateway import Download, Membership
from bot.platform.pipeline import Arrival, Feature, MessageIntake, Pipeline
from bot.platform.roster import RecentSenders
from bot.platform.storage.models import MessageLog, ProcessedUpdate
from policies.decide import Claim, Effect, Outcome, Situation
from policies.group_policy import GroupPolicy
from policies.message import ChatKind, ChatMessage, ChatRef, Person

NOW = datetime(2026, 11, 18, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday
GROUP = ChatRef(-100123, ChatKind.SUPERGROUP, "青石镇工作群")
POISON = "这条消息让一个功能出错"


class NoBot:
    """The Gateway as far as the intake asks: only who the bot is."""

    bot_id = 1
    reads_all_messages = True

    async def membership(self, chat_id: int, user_id: int) -> Membership | None:
        return None

    async def administrators(self, chat_id: int) -> list[tuple[Person, str]]:
        return []

    async def member_count(self, chat_id: int) -> int | None:
        return None

    async def send_text(self, chat_id: int, text: str) -> bool:
        return False

    async def download(self, file_id: str, limit: int) -> Download:
        return Download(None, "no bot")


class BreaksOnPoison:
    """A feature whose loader fails on one text, as a bug would."""

    def claim(self, situation: Situation, state: None) -> Claim | None:
        return None

    def react(self, situation: Situation, state: None, outcome: Outcome) -> tuple[Effect, ...]:
        return ()


async def load(session: AsyncSession, situation: Situation) -> None:
    if situation.message.text == POISON:
        raise RuntimeError("a bug in a feature")


def arrival(number: int, text: str) -> Arrival:
    sender = Person(40 + number, f"网格员{number}")
    return Arrival(1000 + number, ChatMessage(GROUP, number, NOW, sender=sender, text=text))


async def test_a_poison_message_is_logged_once_and_its_batch_stored_without_it(
    session_factory: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = Pipeline([Feature("breaks", BreaksOnPoison(), load, {})], GroupPolicy())
    woken: list[None] = []
    intake = MessageIntake(
        pipeline,
        session_factory,
        ManualClock(NOW),
        NoBot(),
        RecentSenders(),
        lambda: woken.append(None),
    )
    batch = [arrival(1, "明天开会"), arrival(2, POISON), arrival(3, "下午交材料")]
    with caplog.at_level(logging.ERROR):
        await intake.receive(batch)
    async with session_factory() as session:
        logged = list(await session.scalars(select(MessageLog.message_id)))
        processed = list(await session.scalars(select(ProcessedUpdate.update_id)))
    assert sorted(logged) == [1, 3]
    assert sorted(processed) == [1001, 1002, 1003]
    failures = [r for r in caplog.records if "update 1002 failed" in r.getMessage()]
    assert len(failures) == 1
    assert woken
