"""接龙 chains turned into one roll-call message with a live list (issue 5)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Services
from bot.incoming import Incoming
from policies.decisions import OpenRollCall


async def open_rollcalls(session: AsyncSession, chat_id: int) -> tuple[OpenRollCall, ...]:
    raise NotImplementedError


async def merge(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    raise NotImplementedError


async def start(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    raise NotImplementedError
