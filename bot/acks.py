"""Acknowledgement requests: one button and a live tally instead of thirty "收到" (issue 5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Services
from bot.incoming import Incoming
from policies.decisions import OpenAckRequest


async def open_requests(
    session: AsyncSession, chat_id: int, now: datetime
) -> tuple[OpenAckRequest, ...]:
    raise NotImplementedError


async def absorb(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    raise NotImplementedError


async def open_request(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    raise NotImplementedError


async def remind_instant_reply(
    session: AsyncSession, services: Services, incoming: Incoming
) -> None:
    raise NotImplementedError
