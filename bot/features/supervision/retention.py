"""[retention] message_text_days: once a day, the text of logged messages older than that is
emptied. The rows stay (who, when, what was done) for the reports; a message still held for
release keeps its text until it is released."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import Clock
from bot.platform.daily import Daily
from bot.platform.storage.models import HeldMessage, HeldStatus, MessageLog

log = logging.getLogger(__name__)

BATCH_ROWS = 5_000
"""Rows emptied per transaction, so that the job never holds the log for long."""


async def empty_old_texts(session: AsyncSession, before: datetime) -> int:
    """Empty up to BATCH_ROWS texts of messages sent before `before`; how many."""
    still_held = exists().where(
        HeldMessage.chat_id == MessageLog.chat_id,
        HeldMessage.message_id == MessageLog.message_id,
        HeldMessage.status.in_((HeldStatus.HELD.value, HeldStatus.RELEASING.value)),
    )
    batch = (
        select(MessageLog.id)
        .where(and_(MessageLog.sent_at < before, MessageLog.text.is_not(None), ~still_held))
        .limit(BATCH_ROWS)
        .scalar_subquery()
    )
    result = await session.execute(
        update(MessageLog)
        .where(MessageLog.id.in_(batch))
        .values(text=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


async def empty_texts_before(sessions: async_sessionmaker[AsyncSession], before: datetime) -> None:
    """Empty the texts of every logged message sent before `before`, BATCH_ROWS at a time."""
    emptied = 0
    while True:
        async with sessions() as session:
            count = await empty_old_texts(session, before)
            await session.commit()
        emptied += count
        if count < BATCH_ROWS:
            break
        await asyncio.sleep(0)  # SQLite runs on the event loop: let the bot answer meanwhile
    if emptied:
        log.info("retention: emptied the text of %d logged messages", emptied)


def retention(sessions: async_sessionmaker[AsyncSession], clock: Clock, text_days: int) -> Daily:
    """The daily job that empties texts older than `text_days`."""
    keep = timedelta(days=text_days)
    return Daily(clock, lambda now: empty_texts_before(sessions, now - keep))
