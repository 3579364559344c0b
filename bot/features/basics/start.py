"""/start and /help; /start in private also records that the bot may write to the person, and
tells them what the bot does for them: the language it writes to them in, and their groups."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.essentials import Essentials
from bot.platform.i18n import language_for
from bot.platform.inputs import Command
from bot.platform.policy_text import joined
from bot.platform.roster import record_user
from bot.platform.storage.models import Chat, Member
from policies.message import ChatKind


class Basics:
    def __init__(
        self,
        base: Essentials,
    ) -> None:
        self._base = base

    async def start(self, command: Command) -> str | None:
        message = command.message
        user = message.sender
        if user is None:
            return None
        private = message.chat.kind is ChatKind.PRIVATE
        async with self._base.sessions() as session:
            await record_user(session, user, self._base.clock.now(), started=private)
            await session.commit()
            groups = await _groups_of(session, user.id) if private else []
        lang = language_for(user.language_code, self._base.defaults.language)
        welcome = self._base.text(f"start.{_audience(private)}", lang)
        if not private:
            return welcome
        catalogs = self._base.catalogs
        yours = self._base.text(
            "start.member",
            lang,
            language=self._base.text(f"language.{lang}", lang),
            groups=joined(catalogs, lang, groups) or self._base.text("settings.none", lang),
        )
        return f"{welcome}\n\n{yours}"

    async def help(self, command: Command) -> str:
        message = command.message
        code = message.sender.language_code if message.sender is not None else None
        lang = language_for(code, self._base.defaults.language)
        private = message.chat.kind is ChatKind.PRIVATE
        return self._base.text(f"help.{_audience(private)}", lang)


async def _groups_of(session: AsyncSession, user_id: int) -> list[str]:
    """The titles of the groups the bot is in that the person is a member of, as it knows."""
    titles = await session.scalars(
        select(Chat.title)
        .join(Member, Member.chat_id == Chat.chat_id)
        .where(
            Member.user_id == user_id,
            Member.status.not_in(("left", "kicked")),
            Chat.type.in_(("group", "supergroup")),
            Chat.left_at.is_(None),
            Chat.title.is_not(None),
        )
        .order_by(Chat.title)
    )
    return [title for title in titles if title]


def _audience(private: bool) -> str:
    return "private" if private else "group"
