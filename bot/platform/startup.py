"""The one line an instance logs when it starts: which bot, how it listens, where it stores,
how many groups, the default policy — never a secret."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.policy_text import windows_text
from bot.platform.settings import Settings, TelegramMode
from bot.platform.storage.models import Chat
from policies.group_policy import WEEKDAY_NAMES

GROUP_TYPES = ("group", "supergroup")


async def group_count(session: AsyncSession) -> int:
    """The groups the bot is in, as the store knows them."""
    count = await session.scalar(
        select(func.count())
        .select_from(Chat)
        .where(Chat.type.in_(GROUP_TYPES), Chat.left_at.is_(None))
    )
    return count or 0


def startup_summary(settings: Settings, username: str, groups: int) -> str:
    """ "start-up: @bot, polling, DATABASE, N groups; default policy: …" (passwords hidden)."""
    telegram, policy = settings.telegram, settings.defaults
    mode = (
        f"webhook on {telegram.webhook_listen}:{telegram.webhook_port}"
        if telegram.mode is TelegramMode.WEBHOOK
        else "polling"
    )
    database = make_url(settings.database.url).render_as_string(hide_password=True)
    quiet = windows_text(policy) or "none"
    rest = " ".join(WEEKDAY_NAMES[day] for day in sorted(policy.rest_days)) or "none"
    return (
        f"start-up: @{username}, {mode}, {database}, {groups} group{'' if groups == 1 else 's'}; "
        f"default policy: {policy.timezone}, quiet hours {quiet}, rest days {rest}, "
        f"holidays {policy.holiday_calendar}, mode {policy.mode}, "
        f"urgent quota {policy.urgent_quota_per_week} a week, language {policy.language} "
        f"(config: {settings.source})"
    )
