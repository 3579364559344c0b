"""Joining a group: what the bot may do there, the intro, and the roster from membership updates.

The bot's rights are read from Telegram (getChatMember) whenever its own membership changes,
when a group it did not know speaks, and, while a right is missing, on every member change.
Without a right the chat falls back to advise (chats.bot_can_delete false, fallback_mode set)
and the group is told once which right to grant; regaining it is announced too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Chat as TgChat
from telegram import ChatMember, ChatMemberAdministrator, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import Application, ChatMemberHandler, MessageHandler, filters

from bot.context import JianfuContext, Services
from bot.platform import outbox
from bot.platform.group_policies import group_policy
from bot.platform.i18n import Catalogs
from bot.platform.policy_text import joined, rule_lines
from bot.platform.roster import ADMIN_STATUSES, record_chat, record_member, record_user
from bot.platform.storage.models import Chat

FALLBACK_MISSING_RIGHTS = "missing_rights"
_GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


@dataclass(frozen=True, slots=True)
class Rights:
    is_admin: bool
    can_delete: bool
    sees_all: bool

    @property
    def missing(self) -> list[str]:
        """The catalog names (rights.name.*) of what the bot still needs, most basic first."""
        needed = [("admin", self.is_admin), ("can_delete_messages", self.can_delete)]
        needed.append(("read_all_messages", self.sees_all))
        return [name for name, granted in needed if not granted]


def rights_of(member: ChatMember, reads_all_messages: bool) -> Rights:
    is_admin = member.status in ADMIN_STATUSES
    can_delete = member.status == ChatMemberStatus.OWNER or (
        isinstance(member, ChatMemberAdministrator) and member.can_delete_messages
    )
    return Rights(is_admin, can_delete, is_admin or reads_all_messages)


def rights_text(catalogs: Catalogs, lang: str, missing: Sequence[str]) -> str:
    """The missing rights (Rights.missing) named in the reader's language, as one phrase."""
    return joined(catalogs, lang, [catalogs.text(f"rights.name.{name}", lang) for name in missing])


async def check_rights(
    context: JianfuContext, chat: TgChat, *, joined_now: bool, event: str
) -> None:
    """Read the bot's rights in `chat`, store them, and say what changed (`event` keys it)."""
    bot = context.bot
    member = await bot.get_chat_member(chat.id, bot.id)
    if member.status in _GONE:
        return
    rights = rights_of(member, bool(bot.can_read_all_group_messages))
    admins = await bot.get_chat_administrators(chat.id)
    services = context.services
    now = services.clock.now()
    async with services.sessions() as session:
        await record_chat(session, chat, now)
        row = await session.get(Chat, chat.id)
        assert row is not None, "record_chat has just stored it"
        was_missing = row.fallback_reason is not None
        row.bot_is_admin, row.bot_can_delete = rights.is_admin, rights.can_delete
        row.bot_sees_all, row.left_at = rights.sees_all, None
        missing = rights.missing
        row.fallback_mode = "advise" if missing else None
        row.fallback_reason = FALLBACK_MISSING_RIGHTS if missing else None
        for admin in admins:
            await record_user(session, admin.user, now)
            await record_member(session, chat.id, admin.user.id, admin.status, now)
        if joined_now:
            await _say(session, services, chat.id, f"intro:{chat.id}:{event}", "intro")
        if missing and (joined_now or not was_missing):
            await _say(session, services, chat.id, f"rights:{chat.id}:{event}", "missing", missing)
        elif not missing and was_missing:
            await _say(session, services, chat.id, f"rights:{chat.id}:{event}", "restored")
        await session.commit()
    services.outbox.wake()


async def _say(
    session: AsyncSession,
    services: Services,
    chat_id: int,
    key: str,
    what: str,
    missing: Sequence[str] = (),
) -> None:
    policy = await group_policy(session, chat_id, services.settings.defaults)
    lang, catalogs = policy.language, services.catalogs
    if what == "intro":
        text = catalogs.text(
            "intro.group",
            lang,
            policy="\n".join(rule_lines(catalogs, lang, policy)),
            marker=policy.urgent_markers[0] if policy.urgent_markers else "",
        )
    elif what == "missing":
        text = catalogs.text("rights.missing", lang, rights=rights_text(catalogs, lang, missing))
    else:
        text = catalogs.text("rights.restored", lang)
    await outbox.enqueue(
        session,
        key=key,
        chat_id=chat_id,
        method="sendMessage",
        payload={"chat_id": chat_id, "text": text, "disable_notification": True},
        not_before=services.clock.now(),
    )


async def bot_membership_changed(update: Update, context: JianfuContext) -> None:
    """my_chat_member: the bot was added, removed, promoted or demoted."""
    change = update.my_chat_member
    if change is None or change.chat.type not in (TgChat.GROUP, TgChat.SUPERGROUP):
        return
    services = context.services
    if change.new_chat_member.status in _GONE:
        async with services.sessions() as session:
            row = await session.get(Chat, change.chat.id)
            if row is not None:
                row.left_at = services.clock.now()
                row.bot_is_admin = row.bot_can_delete = False
            await session.commit()
        return
    joined_now = change.old_chat_member.status in _GONE
    await check_rights(context, change.chat, joined_now=joined_now, event=str(update.update_id))


async def member_changed(update: Update, context: JianfuContext) -> None:
    """chat_member: someone joined, left, was promoted or demoted; the roster follows."""
    change = update.chat_member
    if change is None:
        return
    services = context.services
    now = services.clock.now()
    member = change.new_chat_member
    async with services.sessions() as session:
        await record_chat(session, change.chat, now)
        await record_user(session, member.user, now)
        await record_member(session, change.chat.id, member.user.id, member.status, now)
        row = await session.get(Chat, change.chat.id)
        lacking = row is not None and row.fallback_reason == FALLBACK_MISSING_RIGHTS
        await session.commit()
    if lacking:
        await check_rights(context, change.chat, joined_now=False, event=str(update.update_id))


def _discovery() -> MessageHandler:  # type: ignore[type-arg]
    """A group already holding the bot when its database was new: check once per process."""
    checked: set[int] = set()

    async def first_message(update: Update, context: JianfuContext) -> None:
        message = update.effective_message
        if message is None or message.chat_id in checked:
            return
        async with context.services.sessions() as session:
            known = await session.get(Chat, message.chat_id) is not None
        if not known:
            event = f"seen{message.message_id}"
            await check_rights(context, message.chat, joined_now=False, event=event)
        checked.add(message.chat_id)

    return MessageHandler(filters.ChatType.GROUPS, first_message)


def setup(application: Application, group: int) -> None:  # type: ignore[type-arg]
    """`group` must come before the message pipeline's, and be one of its own: the discovery
    handler matches every group message, so it would shadow later handlers in a shared group."""
    application.add_handler(
        ChatMemberHandler(bot_membership_changed, ChatMemberHandler.MY_CHAT_MEMBER), group=group
    )
    application.add_handler(
        ChatMemberHandler(member_changed, ChatMemberHandler.CHAT_MEMBER), group=group
    )
    application.add_handler(_discovery(), group=group)
