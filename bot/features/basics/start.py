"""/start and /help; /start in private also records that the bot may write to the person."""

from __future__ import annotations

from bot.platform.essentials import Essentials
from bot.platform.i18n import language_for
from bot.platform.inputs import Command
from bot.platform.roster import record_user
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
        lang = language_for(user.language_code, self._base.defaults.language)
        return self._base.text(f"start.{_audience(private)}", lang)

    async def help(self, command: Command) -> str:
        message = command.message
        code = message.sender.language_code if message.sender is not None else None
        lang = language_for(code, self._base.defaults.language)
        private = message.chat.kind is ChatKind.PRIVATE
        return self._base.text(f"help.{_audience(private)}", lang)


def _audience(private: bool) -> str:
    return "private" if private else "group"
