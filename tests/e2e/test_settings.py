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
from tests.e2e.scenes import WED_NIGHT, bot_texts, drained, joined_group, started_bot
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
        return await self.press(
            self.buttons(text(f"settings.row.{key}", ZH))[1]["callback_data"], by=by
        )

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


# ---- each setting through its buttons ---------------------------------------------------------


async def test_custom_quiet_hours_refuse_bad_input_and_take_a_good_one(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    reply = await scene.type_value("quiet_hours", "25:00-08:00", custom=True)
    assert reply == text("quiet.invalid", ZH, value="25:00-08:00")
    private = harness.world.private_chat(scene.admin)
    for value, expected in (
        ("08:00-20:00 20:00-08:00", text("policy.error.whole_day", ZH)),
        ("22:30-07:00", text("settings.saved", ZH)),
    ):
        harness.world.send(scene.admin, private, value)
        await drained(harness)
        assert expected in bot_texts(harness, private)[-2:]
    assert (await scene.policy()).quiet_windows[0].start.hour == 22
    assert len(await scene.audits()) == 1, "nothing saved from the bad entries"
    assert scene.buttons(label("quiet_hours"))[1]["text"] == "22:30-07:00 ▸", "a fresh menu"


async def test_rest_days_toggle_per_weekday(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.state("rest_days")
    saturday = scene.buttons("周六")
    assert saturday[0]["text"] == "✅ 周六"
    await scene.press(saturday[0]["callback_data"])
    assert scene.buttons("周六")[0]["text"] == "周六", "the view stays open, unticked"
    assert (await scene.policy()).rest_days == frozenset({6})
    harness.clock.set(shanghai(2026, 11, 21, 10))  # Saturday
    message = harness.world.send(scene.li, scene.group, "周六加班的同志请到三楼")
    await drained(harness)
    assert not message.deleted


async def test_holiday_calendar_none_makes_new_year_a_workday(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.choose("holidays", text("policy.calendar.none", ZH))
    assert (await scene.policy()).holiday_calendar == "none"
    harness.clock.set(shanghai(2027, 1, 1, 10))  # a Friday, New Year's Day
    message = harness.world.send(scene.li, scene.group, "元旦值班安排")
    await drained(harness)
    assert not message.deleted


async def test_an_extra_rest_date_is_quiet_and_one_in_the_past_is_refused(
    harness: BotHarness,
) -> None:
    scene = await settings_scene(harness)
    reply = await scene.type_value("extra_rest_dates", "2026-11-01")
    assert reply == text("policy.error.past_date", ZH, value="2026-11-01")
    private = harness.world.private_chat(scene.admin)
    harness.world.send(scene.admin, private, "2026-11-19")
    await drained(harness)
    assert (await scene.policy()).extra_rest_dates == {shanghai(2026, 11, 19, 0).date()}
    harness.clock.set(shanghai(2026, 11, 19, 10))  # Thursday, now a rest day
    message = harness.world.send(scene.li, scene.group, "明天交材料")
    await drained(harness)
    assert message.deleted, "held"


async def test_an_extra_workday_is_work_time(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.type_value("extra_workdays", "2026-11-21")
    harness.clock.set(shanghai(2026, 11, 21, 10))  # Saturday, now worked
    message = harness.world.send(scene.li, scene.group, "周六加班的同志请到三楼")
    await drained(harness)
    assert not message.deleted


async def test_mode_off_leaves_the_next_night_message_alone(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.choose("mode", text("policy.mode.off", ZH))
    message = scene.night_message(scene.li)
    await drained(harness)
    assert not message.deleted


async def test_urgent_quota_steps_and_refuses_minus_one(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    minus = scene.buttons(label("urgent_quota"))[1]["callback_data"]
    for _ in range(3):
        assert await scene.press(minus) == text("settings.saved", ZH)
    assert (await scene.policy()).urgent_quota_per_week == 0
    assert await scene.press(minus) == text("policy.error.quota", ZH, value="-1")
    assert (await scene.policy()).urgent_quota_per_week == 0, "nothing saved"
    assert len(await scene.audits()) == 3
    message = scene.night_message(scene.li, "【紧急】今晚暴雨预警,请各村做好转移准备")
    await drained(harness)
    assert message.deleted, "no urgent message left this week: held"


async def test_new_urgent_markers_pass_an_urgent_message(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.type_value("urgent_markers", "#急 【紧急】")
    assert (await scene.policy()).urgent_markers == ("#急", "【紧急】")
    message = scene.night_message(scene.li, "#急 今晚暴雨预警,请各村做好转移准备")
    await drained(harness)
    assert not message.deleted


async def test_admins_exempt_lets_the_admins_night_message_pass(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.state("admins_exempt")
    assert scene.buttons(label("admins_exempt"))[1]["text"] == text("settings.on", ZH)
    message = scene.night_message(scene.admin)
    await drained(harness)
    assert not message.deleted


async def test_an_exempt_member_named_by_username_passes(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    reply = await scene.type_value("exempt_users", "@nobody")
    assert reply == text("settings.bad_user", ZH, value="@nobody")
    private = harness.world.private_chat(scene.admin)
    harness.world.send(scene.admin, private, "@liming")
    await drained(harness)
    assert (await scene.policy()).exempt_user_ids == {scene.li.id}
    message = scene.night_message(scene.li)
    await drained(harness)
    assert not message.deleted


async def test_a_shorter_ack_window_limits_the_next_request(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.press(scene.buttons(label("ack_window"))[1]["callback_data"])
    assert (await scene.policy()).ack_window_minutes == 12 * 60
    harness.world.send(scene.admin, scene.group, "请各村今天下班前报送名单,收到请回复")
    await drained(harness)
    async with harness.services.sessions() as session:
        (request,) = await session.scalars(select(AckRequest))
    assert request.expires_at - request.created_at == timedelta(hours=12)


async def test_stray_acks_digest_times_and_duplicates_are_stored(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.state("stray_acks")
    await scene.choose("digest_times", "08:30 14:30")
    await scene.state("duplicates")
    policy = await scene.policy()
    assert policy.absorb_stray_acks and not policy.duplicates
    assert [f"{t:%H:%M}" for t in policy.digest_times] == ["08:30", "14:30"]
    assert [a.action for a in await scene.audits()] == [
        "settings.stray_acks",
        "settings.digest_times",
        "settings.duplicates",
    ]


async def test_the_group_language_changes_what_the_group_reads(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    await scene.choose("language", text("language.en", ZH))
    told = bot_texts(harness, scene.group)[-1]
    assert told.startswith("⚙️ 王书记 changed a setting: Group language")
    scene.li.language_code = None  # a reader whose language Telegram does not say
    harness.world.send(scene.li, scene.group, "/policy")
    await drained(harness)
    policy = bot_texts(harness, scene.group)[-1]
    assert policy.startswith(text("policy.header", "en", group="青石镇工作群"))


# ---- who may press ---------------------------------------------------------------------------


async def test_a_demoted_admins_stale_menu_changes_nothing(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    harness.world.set_member_status(scene.group, scene.admin, "member")
    await drained(harness)
    toast = await scene.state("mode")
    assert toast == text("settings.not_admin", ZH)
    minus = scene.buttons(label("urgent_quota"))[1]["callback_data"]
    assert await scene.press(minus) == text("settings.not_admin", ZH)
    private = harness.world.private_chat(scene.admin)
    await scene.press(scene.buttons(label("quiet_hours"))[1]["callback_data"])
    assert await scene.policy() == harness.settings.defaults
    assert await scene.audits() == []
    harness.world.send(scene.admin, scene.group, "/settings")
    await drained(harness)
    assert bot_texts(harness, scene.group)[-1] == text("admin.only", ZH, command="/settings")
    assert len(bot_texts(harness, private)) == 2, "the /start answer and the first menu only"


async def test_forged_callback_data_changes_nothing(harness: BotHarness) -> None:
    scene = await settings_scene(harness)
    other = await started_bot(harness, "赵主任")
    harness.world.set_member_status(scene.group, other, "administrator")
    await drained(harness)
    minus = scene.buttons(label("urgent_quota"))[1]["callback_data"]
    # Another admin pressing this admin's menu, a row that does not exist, a menu that does not
    # exist, and data of no shape at all.
    number = int(minus.split(":")[1])
    stale = text("settings.stale", ZH)
    assert await scene.press(minus, by=other, check=False) == stale
    assert await scene.press(f"set:{number - 7 * 100 + 99 * 100}", check=False) == stale
    assert await scene.press(f"set:{number + 10**12}", check=False) == stale
    assert await scene.press("set:12", check=False) == stale
    assert await scene.press("set:-5", check=False) == ""
    assert await scene.policy() == harness.settings.defaults
    assert await scene.audits() == []


async def test_an_admin_who_never_started_the_bot_gets_a_start_link(harness: BotHarness) -> None:
    world = harness.world
    admin = world.add_user("王书记")
    group = await joined_group(harness, admins=[admin])
    world.send(admin, group, "/settings")
    await drained(harness)
    reply = world.sent_by_bot(group)[-1]
    assert reply.text == text("settings.start_first", ZH)
    (button,) = (reply.reply_markup or {})["inline_keyboard"][0]
    payload = button["url"].split("?start=")[1]
    assert payload == f"settings{group.id}"
    private = world.private_chat(admin)
    world.send(admin, private, f"/start {payload}")
    await drained(harness)
    menu = world.sent_by_bot(private)[-1]
    assert menu.text == text("settings.header", ZH, group="青石镇工作群")
    assert bot_texts(harness, private)[0] == text("settings.opened", ZH)
    stranger = world.add_user("路人")
    world.send(stranger, world.private_chat(stranger), f"/start {payload}")
    await drained(harness)
    assert bot_texts(harness, world.private_chat(stranger)) == [text("settings.not_admin", ZH)]


async def test_groups_lists_the_groups_one_administers_and_opens_their_menu(
    harness: BotHarness,
) -> None:
    scene = await settings_scene(harness)
    world = harness.world
    private = world.private_chat(scene.admin)
    world.send(scene.admin, private, "/groups")
    await drained(harness)
    listing = world.sent_by_bot(private)[-1]
    assert listing.text == text("settings.groups", ZH)
    (row,) = (listing.reply_markup or {})["inline_keyboard"]
    assert row[0]["text"] == "青石镇工作群"
    world.press(scene.admin, listing, row[0]["callback_data"])
    await drained(harness)
    assert listing.text == text("settings.header", ZH, group="青石镇工作群")
    world.send(scene.li, world.private_chat(scene.li), "/groups")
    await drained(harness)
    assert bot_texts(harness, world.private_chat(scene.li))[-1] == text("settings.no_groups", ZH)


async def test_the_intro_carries_the_settings_button_and_the_rights_checklist(
    harness: BotHarness,
) -> None:
    group = await joined_group(harness, rights=("can_invite_users",))
    intro = harness.world.sent_by_bot(group)[0]
    assert intro.text is not None
    checklist = text(
        "rights.checklist",
        ZH,
        rights="\n".join(
            [
                text("rights.check.granted", ZH, right=text("rights.name.admin", ZH)),
                text("rights.check.missing", ZH, right=text("rights.name.can_delete_messages", ZH)),
                text("rights.check.granted", ZH, right=text("rights.name.read_all_messages", ZH)),
            ]
        ),
    )
    assert intro.text.endswith(checklist)
    (button,) = (intro.reply_markup or {})["inline_keyboard"][0]
    assert button["text"] == text("settings.button", ZH)
    assert button["url"].endswith(f"?start=settings{group.id}")
