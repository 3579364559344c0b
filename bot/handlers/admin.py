"""/policy for everyone; /quiet, /restdays and /mode for the group's admins, each change audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.ext import Application, CommandHandler, filters

from bot.chat_admins import sent_by_admin
from bot.context import JianfuContext, Services
from bot.onboarding import Rights, check_rights, rights_text
from bot.platform.group_policies import group_policy, save_group_policy
from bot.platform.i18n import language_for
from bot.platform.policy_text import policy_report, weekdays_text, windows_text
from bot.platform.storage.models import AdminAudit, Chat
from bot.platform.storage.policy_codec import policy_to_json
from bot.translate import is_anonymous_admin
from policies.group_policy import (
    GroupPolicy,
    Mode,
    parse_quiet_window,
    parse_weekdays,
    policy_problems,
)

_NO_REST_DAYS = frozenset({"none", "无", "-"})


@dataclasses.dataclass(frozen=True, slots=True)
class Change:
    """A requested policy change, or the message key (and parameters) refusing it."""

    policy: GroupPolicy | None
    refusal: str = ""
    params: dict[str, str] = dataclasses.field(default_factory=dict)


Parser = Callable[[GroupPolicy, Sequence[str]], Change]


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


async def show_policy(update: Update, context: JianfuContext) -> None:
    message = update.effective_message
    if message is None:
        return
    services = context.services
    async with services.sessions() as session:
        policy = await group_policy(session, message.chat_id, services.settings.defaults)
    lang = _lang(message, policy)
    title = message.chat.title or ""
    report = policy_report(services.catalogs, lang, policy, title, services.clock.now())
    await message.reply_text(report)


def _command(
    name: str, parse: Parser
) -> Callable[[Update, JianfuContext], Coroutine[Any, Any, None]]:
    async def change_policy(update: Update, context: JianfuContext) -> None:
        message = update.effective_message
        if message is None:
            return
        services = context.services
        text = services.catalogs.text
        if not await sent_by_admin(context, message):
            async with services.sessions() as session:
                policy = await group_policy(session, message.chat_id, services.settings.defaults)
            await message.reply_text(text("admin.only", _lang(message, policy), command=f"/{name}"))
            return
        if name == "mode":
            # An admin switching modes may have just fixed the bot's rights: look again.
            event = f"mode{message.message_id}"
            await check_rights(context, message.chat, joined_now=False, event=event)
        async with services.sessions() as session:
            reply = await _apply(session, services, message, name, parse, context.args or [])
            await session.commit()
        await message.reply_text(reply)

    return change_policy


async def _apply(
    session: AsyncSession,
    services: Services,
    message: Message,
    name: str,
    parse: Parser,
    args: Sequence[str],
) -> str:
    """Validate and store the change with its audit row; the reply to give."""
    defaults = services.settings.defaults
    policy = await group_policy(session, message.chat_id, defaults)
    lang, catalogs = _lang(message, policy), services.catalogs
    change = parse(policy, args)
    if change.policy is None:
        return catalogs.text(change.refusal, lang, **change.params)
    new = change.policy
    problems = policy_problems(new)
    if problems:
        return "\n".join(catalogs.text(p.key, lang, **p.params) for p in problems)
    now = services.clock.now()
    by = None if is_anonymous_admin(message) or message.from_user is None else message.from_user.id
    await save_group_policy(session, message.chat_id, new, defaults, by=by, now=now)
    before, after = policy_to_json(policy), policy_to_json(new)
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        session.add(
            AdminAudit(
                chat_id=message.chat_id,
                user_id=by,
                action=name,
                old={k: before[k] for k in changed},
                new={k: after[k] for k in changed},
                at=now,
            )
        )
    return await _confirmation(session, services, message.chat_id, name, new, lang)


async def _confirmation(
    session: AsyncSession, services: Services, chat_id: int, name: str, new: GroupPolicy, lang: str
) -> str:
    catalogs = services.catalogs
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


def _lang(message: Message, policy: GroupPolicy) -> str:
    code = (
        message.from_user.language_code
        if message.from_user and not is_anonymous_admin(message)
        else None
    )
    return language_for(code, policy.language)


def setup(application: Application, group: int) -> None:  # type: ignore[type-arg]
    groups = filters.ChatType.GROUPS
    application.add_handler(CommandHandler("policy", show_policy, filters=groups), group=group)
    for name, parse in (
        ("quiet", quiet_change),
        ("restdays", restdays_change),
        ("mode", mode_change),
    ):
        application.add_handler(
            CommandHandler(name, _command(name, parse), filters=groups), group=group
        )
