"""The bot's rights in each group, read from Telegram, stored, and told to the group.

They are read whenever the bot's own membership changes, when a group it did not know
speaks, and, while a right is missing, on every member change. Without a right the chat
falls back to advise (chats.bot_can_delete false, fallback_mode set) and the group is told
once which right to grant; regaining it is announced too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.platform.essentials import Essentials
from bot.platform.gateway import Gateway, Membership
from bot.platform.i18n import Catalogs
from bot.platform.inputs import MemberChange
from bot.platform.outbox.items import JSONObject, Outgoing
from bot.platform.outbox.store import enqueue
from bot.platform.policy_text import joined, rule_lines
from bot.platform.roster import record_chat, record_member, record_user
from bot.platform.storage.known import forget_chat
from bot.platform.storage.models import Chat
from policies.message import ChatMessage, ChatRef

FALLBACK_MISSING_RIGHTS = "missing_rights"
INTRO_KIND = "onboarding/intro"
RIGHTS_KIND = "onboarding/rights"
_GONE = frozenset({"left", "kicked"})
RIGHT_NAMES = ("admin", "can_delete_messages", "read_all_messages")
"""What the bot needs in a group, most basic first (their catalog names: rights.name.*)."""


@dataclass(frozen=True, slots=True)
class Rights:
    is_admin: bool
    can_delete: bool
    sees_all: bool

    @property
    def missing(self) -> list[str]:
        """The catalog names (rights.name.*) of what the bot still needs, most basic first."""
        granted = (self.is_admin, self.can_delete, self.sees_all)
        return [name for name, has in zip(RIGHT_NAMES, granted, strict=True) if not has]


def rights_of(member: Membership, reads_all_messages: bool) -> Rights:
    can_delete = member.status == "creator" or (
        member.status == "administrator" and member.can_delete_messages
    )
    return Rights(member.is_admin, can_delete, member.is_admin or reads_all_messages)


def rights_text(catalogs: Catalogs, lang: str, missing: Sequence[str]) -> str:
    """The missing rights (Rights.missing) named in the reader's language, as one phrase."""
    return joined(catalogs, lang, [catalogs.text(f"rights.name.{name}", lang) for name in missing])


def rights_checklist(catalogs: Catalogs, lang: str, rights: Rights) -> str:
    """Each right the bot needs, ticked when it has it."""
    lines = [
        catalogs.text(
            "rights.check.missing" if name in rights.missing else "rights.check.granted",
            lang,
            right=catalogs.text(f"rights.name.{name}", lang),
        )
        for name in RIGHT_NAMES
    ]
    return catalogs.text("rights.checklist", lang, rights="\n".join(lines))


class Onboarding:
    def __init__(
        self,
        base: Essentials,
        gateway: Gateway,
        settings_button: Callable[[int, str], JSONObject] | None = None,
    ) -> None:
        """`settings_button`: the button (chat id, language) the intro carries to the settings."""
        self._base = base
        self._gateway = gateway
        self._settings_button = settings_button
        # Groups seen speaking by this process: a group unknown to the store is checked once.
        self._seen: set[int] = set()

    async def check_rights(self, chat: ChatRef, *, joined_now: bool, event: str) -> None:
        """Read the bot's rights in `chat`, store them, and say what changed (`event` keys it)."""
        gateway = self._gateway
        member = await gateway.membership(chat.id, gateway.bot_id)
        if member is None or member.status in _GONE:
            return
        rights = rights_of(member, gateway.reads_all_messages)
        admins = await gateway.administrators(chat.id)
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            await record_chat(session, chat, now)
            row = await session.get(Chat, chat.id)
            assert row is not None, "record_chat has just stored it"
            forget_chat(session, chat.id)
            was_missing = row.fallback_reason is not None
            row.bot_is_admin, row.bot_can_delete = rights.is_admin, rights.can_delete
            row.bot_sees_all, row.left_at = rights.sees_all, None
            missing = rights.missing
            row.fallback_mode = "advise" if missing else None
            row.fallback_reason = FALLBACK_MISSING_RIGHTS if missing else None
            for admin, status in admins:
                await record_user(session, admin, now)
                await record_member(session, chat.id, admin.id, status, now)
            if joined_now:
                await self._say(session, chat.id, INTRO_KIND, event, "intro", rights=rights)
            if missing and (joined_now or not was_missing):
                await self._say(session, chat.id, RIGHTS_KIND, event, "missing", missing)
            elif not missing and was_missing:
                await self._say(session, chat.id, RIGHTS_KIND, event, "restored")
            await session.commit()

    async def _say(
        self,
        session: AsyncSession,
        chat_id: int,
        kind: str,
        event: str,
        what: str,
        missing: Sequence[str] = (),
        rights: Rights | None = None,
    ) -> None:
        policy = await self._base.policy(session, chat_id)
        lang, catalogs = policy.language, self._base.catalogs
        payload: JSONObject = {"chat_id": chat_id, "disable_notification": True}
        if what == "intro":
            text = catalogs.text(
                "intro.group",
                lang,
                policy="\n".join(rule_lines(catalogs, lang, policy)),
                marker=policy.urgent_markers[0] if policy.urgent_markers else "",
            )
            if rights is not None:
                text += "\n\n" + rights_checklist(catalogs, lang, rights)
            if self._settings_button is not None:
                button = self._settings_button(chat_id, lang)
                payload["reply_markup"] = {"inline_keyboard": [[button]]}
        elif what == "missing":
            text = catalogs.text(
                "rights.missing", lang, rights=rights_text(catalogs, lang, missing)
            )
        else:
            text = catalogs.text("rights.restored", lang)
        notice = Outgoing(kind, chat_id, "sendMessage", {**payload, "text": text}, part=event)
        await enqueue(session, notice, not_before=self._base.clock.now())

    async def on_bot_membership(self, change: MemberChange) -> None:
        """The bot was added, removed, promoted or demoted."""
        if not change.chat.is_group:
            return
        if change.new_status in _GONE:
            async with self._base.sessions() as session:
                row = await session.get(Chat, change.chat.id)
                forget_chat(session, change.chat.id)
                if row is not None:
                    row.left_at = self._base.clock.now()
                    row.bot_is_admin = row.bot_can_delete = False
                await session.commit()
            return
        joined_now = change.old_status in _GONE
        await self.check_rights(change.chat, joined_now=joined_now, event=str(change.update_id))

    async def on_member_change(self, change: MemberChange) -> None:
        """Someone joined, left, was promoted or demoted; the roster follows."""
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            await record_chat(session, change.chat, now)
            await record_user(session, change.member, now)
            await record_member(session, change.chat.id, change.member.id, change.new_status, now)
            row = await session.get(Chat, change.chat.id)
            lacking = row is not None and row.fallback_reason == FALLBACK_MISSING_RIGHTS
            await session.commit()
        if lacking:
            await self.check_rights(change.chat, joined_now=False, event=str(change.update_id))

    async def on_group_message(self, message: ChatMessage) -> None:
        """A group already holding the bot when its database was new: check once per process."""
        chat_id = message.chat.id
        if chat_id in self._seen:
            return
        async with self._base.sessions() as session:
            known = await session.get(Chat, chat_id) is not None
        if not known:
            await self.check_rights(
                message.chat, joined_now=False, event=f"seen{message.message_id}"
            )
        self._seen.add(chat_id)
