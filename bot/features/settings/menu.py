"""/settings: a group's settings in a private menu for its admins; /groups: the groups a
person administers, each opening its menu.

A menu is a stored row (SettingsMenu): its buttons carry only the row's id, the setting's code
and what the button does, so callback data stays short and names nothing else. Every press
and every typed value is checked again: the menu must be the presser's, and Telegram must
still say the presser is an admin of the group (getChatMember). A change goes through the
policy commands' validation, storing, re-planning and audit (PolicyCommands.store), and is
told once to the group, silently, as what changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.policy.commands import PolicyCommands, problems_text
from bot.features.settings.links import SettingsLink
from bot.features.settings.rows import ROWS, Row, rows_by_code
from bot.platform.admins import Admins
from bot.platform.essentials import Essentials
from bot.platform.gateway import ADMIN_STATUSES
from bot.platform.i18n import language_for
from bot.platform.inputs import Command, Press
from bot.platform.outbox.items import JSONObject, Outgoing
from bot.platform.outbox.store import enqueue
from bot.platform.storage.models import Chat, Member, SettingsMenu, User
from policies.features.settings import (
    BACK,
    CUSTOM,
    LABEL,
    MAX_OPTIONS,
    MINUS,
    OPTION,
    PLUS,
    STATE,
    press_number,
    read_press,
    words,
)
from policies.group_policy import GroupPolicy
from policies.message import ChatMessage, Person

BUTTON = "set"
MENU_KIND = "settings/menu"  # a menu posted privately (part: its version)
EDIT_KIND = "settings/edit"  # a menu edited after a press (part: its version)
LINK_KIND = "settings/link"  # the start link, in the group, for an admin the bot cannot write to
CHANGED_KIND = "settings/changed"  # what changed, told to the group (subject: the audit row)
GROUPS_KIND = "settings/groups"  # /groups' answer
START_PAYLOAD = re.compile(r"settings(-?[1-9][0-9]{0,17})")
"""/start settings-1001234567890: the deep link (SettingsLink) that opens a group's settings."""
MENU_ROW = 0
"""Row code 0 is the menu itself: STATE on it opens the menu (from /groups)."""
TOAST_LIMIT = 200
_GROUP_TYPES = ("group", "supergroup")


class SettingsMenus:
    def __init__(
        self,
        base: Essentials,
        admins: Admins,
        policy: PolicyCommands,
        link: SettingsLink,
        wake: Callable[[], None],
        rows: Sequence[Row] = ROWS,
    ) -> None:
        self._base = base
        self._admins = admins
        self._policy = policy
        self._settings_link = link
        self._wake = wake
        self._rows = tuple(rows)
        self._by_code = rows_by_code(rows)
        self._by_key = {row.key: row for row in rows}

    # ---- commands ----------------------------------------------------------------------------

    async def on_settings(self, command: Command) -> str | None:
        """/settings in a group: the menu sent to the admin privately, or a start link."""
        message = command.message
        chat_id = message.chat.id
        async with self._base.sessions() as session:
            policy = await self._base.policy(session, chat_id)
        lang = language_for(command.reader_language, policy.language)
        sender = message.sender
        if message.is_anonymous_admin or sender is None:
            return self._base.text("settings.anonymous", lang)
        if not await self._admins.is_admin(chat_id, sender.id):
            return self._base.text("admin.only", lang, command="/settings")
        async with self._base.sessions() as session:
            user = await session.get(User, sender.id)
            if user is not None and user.can_dm:
                await self._open(session, chat_id, sender)
                reply: str | None = self._base.text("settings.sent", lang)
            else:
                await self._link(session, message, lang)
                reply = None
            await session.commit()
        self._wake()
        return reply

    async def open_from_start(self, command: Command) -> str | None:
        """/start settings<chat id> in private: that group's menu for its admin (None: the
        /start was not a settings link)."""
        match = START_PAYLOAD.fullmatch(command.args[0]) if command.args else None
        sender = command.message.sender
        if match is None or sender is None:
            return None
        chat_id = int(match[1])
        lang = language_for(sender.language_code, self._base.defaults.language)
        if not await self._admins.is_admin(chat_id, sender.id):
            return self._base.text("settings.not_admin", lang)
        async with self._base.sessions() as session:
            await self._open(session, chat_id, sender)
            await session.commit()
        self._wake()
        return self._base.text("settings.opened", lang)

    async def on_groups(self, command: Command) -> str | None:
        """/groups in private: the groups the person administers, each a button to its menu."""
        sender = command.message.sender
        if sender is None:
            return None
        lang = language_for(sender.language_code, self._base.defaults.language)
        async with self._base.sessions() as session:
            known = await session.execute(
                select(Chat.chat_id, Chat.title)
                .join(Member, Member.chat_id == Chat.chat_id)
                .where(
                    Member.user_id == sender.id,
                    Member.status.in_(ADMIN_STATUSES),
                    Chat.type.in_(_GROUP_TYPES),
                    Chat.left_at.is_(None),
                )
                .order_by(Chat.title, Chat.chat_id)
            )
            candidates = list(known)
        groups = [(c, t) for c, t in candidates if await self._admins.is_admin(c, sender.id)]
        if not groups:
            return self._base.text("settings.no_groups", lang)
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            keyboard = []
            for chat_id, title in groups:
                menu = SettingsMenu(
                    chat_id=chat_id, user_id=sender.id, created_at=now, updated_at=now
                )
                session.add(menu)
                await session.flush()
                data = _data(menu.id, MENU_ROW, STATE)
                keyboard.append([{"text": title or str(chat_id), "callback_data": data}])
            answer = Outgoing(
                GROUPS_KIND,
                sender.id,
                "sendMessage",
                {
                    "chat_id": sender.id,
                    "text": self._base.text("settings.groups", lang),
                    "reply_markup": {"inline_keyboard": keyboard},
                },
                subject_id=command.message.message_id,
            )
            await enqueue(session, answer, not_before=now)
            await session.commit()
        self._wake()
        return None

    # ---- presses and typed values ---------------------------------------------------------

    async def on_press(self, press: Press, number: int) -> str | None:
        """A settings button: the toast to show. A press on another's menu, a stale or forged
        one, or one by someone no longer an admin changes nothing."""
        presser = press.presser
        found = read_press(number)
        async with self._base.sessions() as session:
            menu = await session.get(SettingsMenu, found.menu_id) if found else None
            chat_id = menu.chat_id if menu is not None else None
            policy = await self._base.policy(session, chat_id) if chat_id else self._base.defaults
        lang = language_for(presser.language_code, policy.language)
        row = self._by_code.get(found.row) if found else None
        if (
            found is None
            or menu is None
            or chat_id is None
            or menu.user_id != presser.id
            or (row is None and found.row != MENU_ROW)
        ):
            return self._base.text("settings.stale", lang)
        if not await self._admins.is_admin(chat_id, presser.id):
            return self._base.text("settings.not_admin", lang)
        target = (press.chat.id, press.message_id)
        async with self._base.sessions() as session:
            menu = await session.get(SettingsMenu, found.menu_id)
            assert menu is not None, "it was there a moment ago and menus are not deleted"
            policy = await self._base.policy(session, chat_id)
            toast: str | None = None
            if row is None:
                await self._view(session, menu, "", None, policy, lang, target)
            else:
                toast = await self._pressed(session, menu, row, found.arg, policy, presser, target)
            await session.commit()
        return _toast(toast)

    async def _pressed(
        self,
        session: AsyncSession,
        menu: SettingsMenu,
        row: Row,
        arg: int,
        policy: GroupPolicy,
        presser: Person,
        target: tuple[int, int],
    ) -> str | None:
        lang = language_for(presser.language_code, policy.language)
        if arg == LABEL:
            return self._base.text(row.help_key, lang)
        if arg == BACK:
            await self._view(session, menu, "", None, policy, lang, target)
            return None
        if arg == STATE and row.toggle is not None:
            return await self._change(
                session, menu, row, policy, row.toggle(policy), presser, target
            )
        if arg == STATE and row.options is not None:
            await self._view(session, menu, row.key, None, policy, lang, target)
            return None
        if arg in (STATE, CUSTOM) and row.entry is not None:
            await self._view(session, menu, row.key, row.key, policy, lang, target)
            return None
        if arg in (MINUS, PLUS) and row.step is not None:
            after = row.step(policy, arg == PLUS)
            return await self._change(session, menu, row, policy, after, presser, target)
        options = row.options(self._base.catalogs, lang, policy) if row.options else ()
        if OPTION <= arg < OPTION + len(options):
            after = options[arg - OPTION].policy
            return await self._change(session, menu, row, policy, after, presser, target)
        return self._base.text("settings.stale", lang)

    async def on_private_text(self, message: ChatMessage) -> str | None:
        """A value typed for the setting a menu asked for; None when no menu is waiting."""
        sender = message.sender
        if sender is None or message.reply_to is not None:
            return None
        async with self._base.sessions() as session:
            menu = await session.scalar(
                select(SettingsMenu)
                .where(SettingsMenu.user_id == sender.id)
                .order_by(SettingsMenu.updated_at.desc(), SettingsMenu.id.desc())
                .limit(1)
            )
            policy = await self._base.policy(session, menu.chat_id) if menu else None
        row = self._by_key.get(menu.awaiting or "") if menu is not None else None
        if menu is None or row is None or row.entry is None or policy is None:
            return None
        lang = language_for(sender.language_code, policy.language)
        if not await self._admins.is_admin(menu.chat_id, sender.id):
            return self._base.text("settings.not_admin", lang)
        async with self._base.sessions() as session:
            menu = await session.get(SettingsMenu, menu.id)
            assert menu is not None, "it was there a moment ago and menus are not deleted"
            policy = await self._base.policy(session, menu.chat_id)
            args = words(message.text or "")
            if row.names_users:
                args = await _user_ids(session, args)
            change = row.entry(policy, args)
            if change.policy is None:
                return self._base.text(change.refusal, lang, **change.params)
            reply = await self._change(session, menu, row, policy, change.policy, sender, None)
            await session.commit()
        self._wake()
        return reply

    # ---- changing, telling, showing -------------------------------------------------------

    async def _change(
        self,
        session: AsyncSession,
        menu: SettingsMenu,
        row: Row,
        before: GroupPolicy,
        after: GroupPolicy,
        presser: Person,
        target: tuple[int, int] | None,
    ) -> str:
        """Store a new policy (or say what is wrong with it), tell the group, show the menu."""
        lang = language_for(presser.language_code, before.language)
        stored = await self._policy.store(
            session, menu.chat_id, before, after, by=presser.id, action=f"settings.{row.key}"
        )
        if isinstance(stored, list):
            return problems_text(self._base.catalogs, lang, stored)
        if stored.audit_id is not None:
            await self._announce(
                session, menu.chat_id, row, before, after, presser, stored.audit_id
            )
        lang = language_for(presser.language_code, after.language)
        view = row.key if row.stays_open and target is not None else ""
        await self._view(session, menu, view, None, after, lang, target)
        return self._base.text("settings.saved", lang)

    async def _announce(
        self,
        session: AsyncSession,
        chat_id: int,
        row: Row,
        before: GroupPolicy,
        after: GroupPolicy,
        presser: Person,
        audit_id: int,
    ) -> None:
        lang, catalogs = after.language, self._base.catalogs
        text = catalogs.text(
            "settings.changed",
            lang,
            name=presser.full_name,
            setting=catalogs.text(row.label_key, lang),
            old=row.shows(catalogs, lang, before),
            new=row.shows(catalogs, lang, after),
        )
        told = Outgoing(
            CHANGED_KIND,
            chat_id,
            "sendMessage",
            {"chat_id": chat_id, "text": text, "disable_notification": True},
            subject_id=audit_id,
        )
        await enqueue(session, told, not_before=self._base.clock.now())

    async def _view(
        self,
        session: AsyncSession,
        menu: SettingsMenu,
        view: str,
        awaiting: str | None,
        policy: GroupPolicy,
        lang: str,
        target: tuple[int, int] | None,
    ) -> None:
        """Show `view` of the menu: by editing the pressed message, or as a new message."""
        now = self._base.clock.now()
        menu.view, menu.awaiting = view, awaiting
        menu.version += 1
        menu.updated_at = now
        chat = await session.get(Chat, menu.chat_id)
        title = (chat.title if chat is not None else None) or str(menu.chat_id)
        content = self._render(menu, policy, lang, title)
        if target is None:
            item = Outgoing(
                MENU_KIND,
                menu.user_id,
                "sendMessage",
                {"chat_id": menu.user_id, **content},
                subject_id=menu.id,
                part=str(menu.version),
            )
        else:
            chat_id, message_id = target
            item = Outgoing(
                EDIT_KIND,
                chat_id,
                "editMessageText",
                {"chat_id": chat_id, "message_id": message_id, **content},
                subject_id=menu.id,
                part=str(menu.version),
            )
        await enqueue(session, item, not_before=now)

    async def _open(self, session: AsyncSession, chat_id: int, admin: Person) -> None:
        """A new menu of the group for the admin, posted privately."""
        now = self._base.clock.now()
        menu = SettingsMenu(chat_id=chat_id, user_id=admin.id, created_at=now, updated_at=now)
        session.add(menu)
        await session.flush()
        policy = await self._base.policy(session, chat_id)
        lang = language_for(admin.language_code, policy.language)
        await self._view(session, menu, "", None, policy, lang, None)

    async def _link(self, session: AsyncSession, message: ChatMessage, lang: str) -> None:
        """The start link, as a reply in the group, for an admin who never started the bot."""
        chat_id = message.chat.id
        reply = Outgoing(
            LINK_KIND,
            chat_id,
            "sendMessage",
            {
                "chat_id": chat_id,
                "text": self._base.text("settings.start_first", lang),
                "disable_notification": True,
                "reply_parameters": {
                    "message_id": message.message_id,
                    "allow_sending_without_reply": True,
                },
                "reply_markup": {"inline_keyboard": [[self._settings_link.button(chat_id, lang)]]},
            },
            subject_id=message.message_id,
        )
        await enqueue(session, reply, not_before=self._base.clock.now())

    def _render(self, menu: SettingsMenu, policy: GroupPolicy, lang: str, title: str) -> JSONObject:
        """The menu's text and keyboard for its view: every row, one row's options, or the
        prompt for a value to type."""
        catalogs, text = self._base.catalogs, self._base.text
        row = self._by_key.get(menu.view)
        if row is None:
            keyboard = [self._main_row(menu.id, r, policy, lang) for r in self._rows]
            header = text("settings.header", lang, group=title)
            return {"text": header, "reply_markup": {"inline_keyboard": keyboard}}
        back = [
            {"text": text("settings.back", lang), "callback_data": _data(menu.id, row.code, BACK)}
        ]
        value = row.shows(catalogs, lang, policy)
        setting = text(row.label_key, lang)
        if menu.awaiting == row.key:
            prompt = text(row.prompt_key, lang)
            body = text("settings.prompt", lang, setting=setting, value=value, prompt=prompt)
            return {"text": body, "reply_markup": {"inline_keyboard": [back]}}
        options = row.options(catalogs, lang, policy) if row.options else ()
        keyboard = [
            [
                {
                    "text": ("✅ " if option.chosen else "") + option.label,
                    "callback_data": _data(menu.id, row.code, OPTION + i),
                }
            ]
            for i, option in enumerate(options[:MAX_OPTIONS])
        ]
        if row.entry is not None:
            custom = text("settings.custom", lang)
            keyboard.append([{"text": custom, "callback_data": _data(menu.id, row.code, CUSTOM)}])
        keyboard.append(back)
        body = text(
            "settings.choose", lang, setting=setting, value=value, help=text(row.help_key, lang)
        )
        return {"text": body, "reply_markup": {"inline_keyboard": keyboard}}

    def _main_row(self, menu_id: int, row: Row, policy: GroupPolicy, lang: str) -> list[JSONObject]:
        """A setting's line: its label (tap: what it means) and its state (tap: change it)."""
        catalogs = self._base.catalogs
        label = {
            "text": catalogs.text(row.label_key, lang),
            "callback_data": _data(menu_id, row.code, LABEL),
        }
        value = row.shows(catalogs, lang, policy)
        if row.step is not None:
            return [
                label,
                {"text": "−", "callback_data": _data(menu_id, row.code, MINUS)},
                {"text": value, "callback_data": _data(menu_id, row.code, LABEL)},
                {"text": "+", "callback_data": _data(menu_id, row.code, PLUS)},
            ]
        mark = " ▸" if row.options is not None else " ✏️" if row.entry is not None else ""
        return [label, {"text": value + mark, "callback_data": _data(menu_id, row.code, STATE)}]


def _data(menu_id: int, row: int, arg: int) -> str:
    return f"{BUTTON}:{press_number(menu_id, row, arg)}"


def _toast(text: str | None) -> str | None:
    if text is None or len(text) <= TOAST_LIMIT:
        return text
    return text[: TOAST_LIMIT - 1] + "…"


async def _user_ids(session: AsyncSession, args: Sequence[str]) -> tuple[str, ...]:
    """Typed words with each @username the bot knows replaced by that person's id."""
    names = {a[1:].lower() for a in args if a.startswith("@")}
    if not names:
        return tuple(args)
    known = await session.execute(
        select(User.username, User.user_id).where(func.lower(User.username).in_(names))
    )
    ids = {str(name).lower(): str(user_id) for name, user_id in known}
    return tuple(ids.get(a[1:].lower(), a) if a.startswith("@") else a for a in args)
