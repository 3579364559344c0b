"""Each group's effective policy: the configured defaults with the group's own overrides."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.storage.known import forget_chat
from bot.platform.storage.models import GroupPolicyOverride
from bot.platform.storage.policy_codec import policy_from_json, policy_to_json
from bot.platform.storage.upsert import upsert
from policies.classifier import ClassifierConfig
from policies.group_policy import GroupPolicy


async def group_policy(session: AsyncSession, chat_id: int, defaults: GroupPolicy) -> GroupPolicy:
    row = await session.get(GroupPolicyOverride, chat_id)
    return policy_with_overrides(None if row is None else row.overrides, defaults)


def policy_with_overrides(overrides: dict[str, Any] | None, defaults: GroupPolicy) -> GroupPolicy:
    """The effective policy from a group's stored overrides (None: it has none)."""
    if overrides is None:
        return defaults
    return _decoded(json.dumps(overrides, sort_keys=True), defaults)


@lru_cache(maxsize=1024)
def _decoded(overrides: str, defaults: GroupPolicy) -> GroupPolicy:
    """Decoding is cached: a group's policy is read for every message, and rarely changes."""
    return policy_from_json(json.loads(overrides), defaults)


async def save_group_policy(
    session: AsyncSession,
    chat_id: int,
    policy: GroupPolicy,
    defaults: GroupPolicy,
    *,
    by: int | None,
    now: datetime,
) -> None:
    """Store only what differs from the defaults, so later default changes still reach the group."""
    forget_chat(session, chat_id)
    await upsert(
        session,
        GroupPolicyOverride,
        {
            "chat_id": chat_id,
            "overrides": policy_to_json(policy, defaults),
            "updated_at": now,
            "updated_by": by,
        },
        keys=["chat_id"],
    )


@lru_cache(maxsize=1024)
def classifier_config(policy: GroupPolicy) -> ClassifierConfig:
    """The classifier's view of a policy; cached, since every message needs it."""
    return ClassifierConfig.from_policy(policy)
