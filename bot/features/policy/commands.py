"""/policy for everyone; /quiet, /restdays, /mode (and the switches other features add) for the
group's admins, each change audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime

import pytz
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.onboarding.rights import Onboarding, Rights, rights_text
from bot.platform.admins import Admins
from bot.platform.essentials import Essentials
from bot.platform.group_policies import save_group_policy
from bot.platform.i18n import Catalogs, language_for
from bot.platform.inputs import Command
from bot.platform.policy_text import policy_report, weekdays_text, windows_text
from bot.platform.storage.models import AdminAudit, Chat
from bot.platform.storage.policy_codec import policy_to_json
from policies.group_policy import (
    GroupPolicy,
    Mode,
    PolicyProblem,
    change_problems,
    parse_quiet_window,
    parse_weekdays,
)

_NO_REST_DAYS = frozenset({"none", "无", "-"})


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """A requested policy change, or the message key (and parameters) refusing it."""

    policy: GroupPolicy | None
    refusal: str = ""
    params: dict[str, str] = dataclasses.field(default_factory=dict)
    confirmation: str = (
        ""  # the reply once stored (with `params`), for a command that words its own
    )


@dataclasses.dataclass(frozen=True, slots=True)
class Stored:
    """A policy change stored: the fields it changed (none: it changed nothing) and its audit
    row's id."""

    changed: tuple[str, ...]
    audit_id: int | None


def problems_text(catalogs: Catalogs, lang: str, problems: Sequence[PolicyProblem]) -> str:
    """What is wrong with a policy, one line each, in the reader's language."""
    return "\n".join(catalogs.text(p.key, lang, **p.params) for p in problems)


Parser = Callable[[GroupPolicy, Sequence[str]], Change]
PolicyChanged = Callable[[AsyncSession, int, GroupPolicy, datetime], Awaitable[None]]
"""What follows a group's new policy (chat id, the policy, when), in the change's transaction."""


def quiet_change(policy: GroupPolicy, args: Sequence[str]) -> Change:
    if not args:
        return Change(None, "quiet.usage")
    windows = []
    for arg in args:
        window = parse_quiet_window(arg)
        if window is None:
            return Change(None, "quiet.invalid", {"value": arg})
        windows.append(window)
    return Change(dataclasses.replace(policy, quiet_windows=tuple(windows)))


def restdays_change(policy: GroupPolicy, args: Sequence[str]) -> Change:
    if not args:
        return Change(None, "restdays.usage")
    if len(args) == 1 and args[0].lower() in _NO_REST_DAYS:
        return Change(dataclasses.replace(policy, rest_days=frozenset()))
    days = parse_weekdays(list(args))
    if days is None:
        bad = next(a for a in args if parse_weekdays([a]) is None)
        return Change(None, "restdays.invalid", {"value": bad})
    return Change(dataclasses.replace(policy, rest_days=days))


def mode_change(policy: GroupPolicy, args: Sequence[str]) -> Change:
    if len(args) != 1:
        return Change(None, "mode.usage")
    try:
        mode = Mode(args[0].lower())
    except ValueError:
        return Change(None, "mode.invalid", {"value": args[0]})
    return Change(dataclasses.replace(policy, mode=mode))


PARSERS: dict[str, Parser] = {
    "quiet": quiet_change,
    "restdays": restdays_change,
    "mode": mode_change,
}


class PolicyCommands:
    def __init__(
        self,
        base: Essentials,
        admins: Admins,
        onboarding: Onboarding,
        parsers: Mapping[str, Parser] = PARSERS,
        followers: Sequence[PolicyChanged] = (),
    ) -> None:
        self._base = base
        self._admins = admins
        self._onboarding = onboarding
        self._parsers = parsers
        self._followers = tuple(followers)

    @property
    def commands(self) -> tuple[str, ...]:
        """The commands that change the policy."""
        return tuple(self._parsers)

    async def show_policy(self, command: Command) -> str:
        message = command.message
        async with self._base.sessions() as session:
            policy = await self._base.policy(session, message.chat.id)
        lang = language_for(command.reader_language, policy.language)
        title = message.chat.title or ""
        return policy_report(self._base.catalogs, lang, policy, title, self._base.clock.now())

    async def change(self, command: Command) -> str:
        """/quiet, /restdays, /mode …: validated, stored with its audit row; the reply."""
        message, name = command.message, command.name
        chat_id = message.chat.id
        if not await self._admins.sent_by_admin(message):
            async with self._base.sessions() as session:
                policy = await self._base.policy(session, chat_id)
            lang = language_for(command.reader_language, policy.language)
            return self._base.text("admin.only", lang, command=f"/{name}")
        if name == "mode":
            # An admin switching modes may have just fixed the bot's rights: look again.
            await self._onboarding.check_rights(
                message.chat, joined_now=False, event=f"mode{message.message_id}"
            )
        async with self._base.sessions() as session:
            reply = await self._apply(session, command)
            await session.commit()
        return reply

    async def _apply(self, session: AsyncSession, command: Command) -> str:
        message, name = command.message, command.name
        chat_id = message.chat.id
        policy = await self._base.policy(session, chat_id)
        lang, catalogs = language_for(command.reader_language, policy.language), self._base.catalogs
        change = self._parsers[name](policy, command.args)
        if change.policy is None:
            return catalogs.text(change.refusal, lang, **change.params)
        new = change.policy
        by = None if message.is_anonymous_admin or message.sender is None else message.sender.id
        stored = await self.store(session, chat_id, policy, new, by=by, action=name)
        if isinstance(stored, list):
            return problems_text(catalogs, lang, stored)
        if change.confirmation:
            return catalogs.text(change.confirmation, lang, **change.params)
        return await self._confirmation(session, chat_id, name, new, lang)

    async def store(
        self,
        session: AsyncSession,
        chat_id: int,
        before: GroupPolicy,
        after: GroupPolicy,
        *,
        by: int | None,
        action: str,
    ) -> Stored | list[PolicyProblem]:
        """A group's new policy validated, stored, followed (held messages re-planned …) and
        audited as `action` by `by`, in the caller's transaction; or what is wrong with it."""
        now = self._base.clock.now()
        today = now.astimezone(pytz.timezone(before.timezone)).date()
        problems = change_problems(before, after, today)
        if problems:
            return problems
        await save_group_policy(session, chat_id, after, self._base.defaults, by=by, now=now)
        old, new = policy_to_json(before), policy_to_json(after)
        changed = tuple(sorted(k for k in new if new[k] != old[k]))
        if not changed:
            return Stored(changed, None)
        for follow in self._followers:
            await follow(session, chat_id, after, now)
        audit = AdminAudit(
            chat_id=chat_id,
            user_id=by,
            action=action,
            old={k: old[k] for k in changed},
            new={k: new[k] for k in changed},
            at=now,
        )
        session.add(audit)
        await session.flush()
        return Stored(changed, audit.id)

    async def _confirmation(
        self, session: AsyncSession, chat_id: int, name: str, new: GroupPolicy, lang: str
    ) -> str:
        catalogs = self._base.catalogs
        if name == "quiet":
            return catalogs.text("quiet.set", lang, windows=windows_text(new))
        if name == "restdays":
            if not new.rest_days:
                return catalogs.text("restdays.cleared", lang)
            return catalogs.text(
                "restdays.set", lang, days=weekdays_text(catalogs, lang, new.rest_days)
            )
        chat = await session.get(Chat, chat_id)
        if new.mode is Mode.ENFORCE and (chat is None or not chat.bot_can_delete):
            rights = Rights(
                chat is not None and chat.bot_is_admin,
                False,
                chat is not None and chat.bot_sees_all,
            )
            names = rights_text(catalogs, lang, rights.missing)
            return catalogs.text("mode.needs_rights", lang, rights=names)
        mode = catalogs.text(f"policy.mode.{new.mode}", lang)
        return catalogs.text("mode.set", lang, mode=mode)
