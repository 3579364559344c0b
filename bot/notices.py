"""Telling a sender what happened to their message: privately, or briefly in the group (issue 4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import Services
from bot.incoming import Incoming
from policies.decisions import MessageFacts
from policies.group_policy import GroupPolicy


async def deliver(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """Send the decision's notices through the outbox."""
    raise NotImplementedError


async def advised_this_period(
    session: AsyncSession, policy: GroupPolicy, facts: MessageFacts, now: datetime
) -> bool:
    raise NotImplementedError
