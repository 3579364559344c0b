"""Quiet hours enforced: holding messages, releasing them, urgent overrides (issue 4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Services
from bot.incoming import Incoming


async def hold(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """Store the message verbatim, delete it from the group, schedule its release."""
    raise NotImplementedError


async def release_edited(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """An edit added a marker and a reason to a held message: post it now."""
    raise NotImplementedError


async def urgent_uses_since(
    session: AsyncSession, chat_id: int, sender_id: int, since: datetime
) -> int:
    raise NotImplementedError


async def is_held(session: AsyncSession, chat_id: int, message_id: int) -> bool:
    raise NotImplementedError
