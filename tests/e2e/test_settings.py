"""/settings: an admin changes every setting through the private menu's buttons, and the group
behaves accordingly at its next message; stale, forged and non-admin presses change nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.features.settings.rows import ROWS
from bot.platform.group_policies import group_policy
from bot.platform.i18n import text
from bot.platform.storage.models import AckRequest, AdminAudit
from policies.group_policy import GroupPolicy
from tests.e2e.harness import BotHarness, shanghai
from tests.e2e.scenes import WED_NIGHT, at, bot_texts, drained, joined_group, started_bot
from testserver.world import CallbackPress, Chat, ChatMessage, User

ZH = "zh-Hans"


class Scene:
    """王书记, an admin who has started the bot, and 李明, a member who has too, in a group;
    the admin's settings menu open in their private chat."""

    def __init__(self, harness: BotHarness, admin: User, li: User, group: Chat) -> None:
        self.harness, self.admin, self.li, self.group = harness, admin, li, group

    @property
    def menu(self) -> ChatMessage:
        """The admin's latest settings menu."""
        private = self.harness.world.private_chat(self.admin)
        return [m for m in self.harness.world.sent_by_bot(private) if m.callback_data][-1]

    def buttons(self, label: str, message: ChatMessage | None = None) -> list[dict[str, str]]:
        """The keyboard row whose first button says `label`, or the one button saying it."""
        keyboard = (message or self.menu).reply_markup or {}
        for row in keyboard["inline_keyboard"]:
            if row[0]["text"] == label or row[0]["text"] == f"✅ {label}":
                return list(row)
        raise AssertionError(f"no button {label!r} in {keyboard}")

    async def press(self, data: str, *, by: User | None = None, check: bool = True) -> str:
        """Press a button of the menu; the toast (empty when none)."""
        world = self.harness.world
        press = world.press(by or self.admin, self.menu, data, check=check)
        await drained(self.harness)
        return _toast(press)

    async def state(self, key: str, *, by: User | None = None) -> str:
        """Press a setting's state button."""
        return await self.press(self.buttons(text(f"settings.row.{key}", ZH))[1]["callback_data"], by=by)

    async def choose(self, key: str, option: str) -> str:
        """Open a setting's view and press one of its options."""
        await self.state(key)
        return await self.press(self.buttons(option)[0]["callback_data"])

    async def type_value(self, key: str, value: str, *, custom: bool = False) -> str:
        """Ask to type a setting's value, and type it; the bot's reply."""
        await self.state(key)
        if custom:
            await self.press(self.buttons(text("settings.custom", ZH))[0]["callback_data"])
        private = self.harness.world.private_chat(self.admin)
        self.harness.world.send(self.admin, private, value)
        await drained(self.harness)
        return bot_texts(self.harness, private)[-2 if _menu_follows(self, private) else -1]

    async def policy(self) -> GroupPolicy:
        services = self.harness.services
        async with services.sessions() as session:
            return await group_policy(session, self.group.id, self.harness.settings.defaults)

    async def audits(self) -> list[AdminAudit]:
        async with self.harness.services.sessions() as session:
            return list(await session.scalars(select(AdminAudit).order_by(AdminAudit.id)))

    def night_message(self, sender: User, words: str = "明天交材料") -> ChatMessage:
        self.harness.clock.set(WED_NIGHT)
        return self.harness.world.send(sender, self.group, words)


def _menu_follows(scene: Scene, private: Chat) -> bool:
    last = scene.harness.world.sent_by_bot(private)[-1]
    return bool(last.callback_data)


def _toast(press: CallbackPress) -> str:
    assert press.answer is not None, "every press is answered"
    return str(press.answer.get("text", ""))


async def settings_scene(harness: BotHarness) -> Scene:
    admin = await started_bot(harness, "王书记")
    li = await started_bot(harness, "李明")
    harness.world.users[li.id].username = "liming"
    group = await joined_group(harness, admins=[admin], members=[li])
    harness.world.send(li, group, "大家好")  # the bot learns 李明's @username
    harness.world.send(admin, group, "/settings")
    await drained(harness)
    return Scene(harness, admin, li, group)


def label(key: str) -> str:
    return text(f"settings.row.{key}", ZH)


# ---- the menu --------------------------------------------------------------------------------


async def test_the_menu_goes_to_the_admin_privately_with_a_row_per_setting(
    harness: BotHarness,
) -> None:
    scene = await settings_scene(harness)
    assert bot_texts(harness, scene.group)[-1] == text("settings.sent", ZH)
    menu = scene.menu
    assert menu.text == text("settings.header", ZH, group="青石镇工作群")
    rows = menu.reply_markup["inline_keyboard"] if menu.reply_markup else []
    assert [row[0]["text"] for row in rows] == [label(row.key) for row in ROWS]
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)
    assert scene.buttons(label("quiet_hours"))[1]["text"] == "21:00-08:00 ▸"
    assert [b["text"] for b in scene.buttons(label("urgent_quota"))[1:]] == [
        "−",
        text("settings.quota", ZH, count=3),
        "+",
    ]


async def test_a_label_explains_its_setting(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    toast = await scene.press(scene.buttons(label("stray_acks"))[0]["callback_data"])
    assert toast == text("settings.help.stray_acks", ZH)
    assert await scene.audits() == []


async def test_quiet_hours_preset_is_stored_audited_told_and_obeyed(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    toast = await scene.choose("quiet_hours", "22:00-07:00")
    assert toast == text("settings.saved", ZH)
    (audit,) = await scene.audits()
    assert (audit.action, audit.user_id) == ("settings.quiet_hours", scene.admin.id)
    assert audit.new == {"quiet_windows": ["22:00-07:00"]}
    told = harness.world.sent_by_bot(scene.group)[-1]
    assert told.disable_notification
    assert told.text == text(
        "settings.changed",
        ZH,
        name="王书记",
        setting=label("quiet_hours"),
        old="21:00-08:00",
        new="22:00-07:00",
    )
    assert scene.buttons(label("quiet_hours"))[1]["text"] == "22:00-07:00 ▸", "the menu shows it"
    harness.clock.set(shanghai(2026, 11, 18, 21, 30))
    message = harness.world.send(scene.li, scene.group, "明天交材料")
    await drained(harness)
    assert not message.deleted, "21:30 is work time now"
