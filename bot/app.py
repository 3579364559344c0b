"""The composition root: settings in, a ready PTB Application out.

Every service, feature, handler, outbox route, tick and job is built and wired here, top to
bottom; no other module registers anything.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ApplicationBuilder, ContextTypes, JobQueue

from bot.edge import routes
from bot.edge.alarm import Alarm
from bot.edge.context import BotData, JianfuApplication, JianfuContext
from bot.edge.error_report import error_reporter
from bot.edge.fast import FastJSONRequest
from bot.edge.gateway import BotGateway
from bot.edge.ratelimit import ChatRateLimiter
from bot.edge.sender import BotTransport
from bot.edge.updates import UpdateStream
from bot.features.acks.feature import ACK_BUTTON, ROSTER_BUTTON, Acks
from bot.features.acks.store import TALLY_KIND
from bot.features.basics.start import Basics
from bot.features.digests.feature import PERSONAL_KIND as DIGEST_KIND
from bot.features.digests.feature import Digests, digest_change
from bot.features.digests.wording import ACK_BUTTON as DIGEST_ACK_BUTTON
from bot.features.digests.wording import JOIN_BUTTON as DIGEST_JOIN_BUTTON
from bot.features.duplicates.feature import DIFFERENT_BUTTON, SAME_BUTTON, Duplicates
from bot.features.duplicates.switch import duplicates_change
from bot.features.holding.feature import Holding
from bot.features.holding.release import DELETE_KIND as HELD_DELETE_KIND
from bot.features.holding.release import EDIT_RELEASE_KIND, PAGE_KIND, Releases
from bot.features.notices.tell import (
    GROUP_KIND,
    PRIVATE_KIND,
    Notices,
    schedule_group_notice_delete,
)
from bot.features.onboarding.rights import Onboarding
from bot.features.policy.commands import PARSERS, PolicyCommands
from bot.features.reminders.feature import Reminders
from bot.features.rollcalls.feature import (
    CLOSE_BUTTON,
    CSV_KIND,
    JOIN_BUTTON,
    LIST_KIND,
    WITHDRAW_BUTTON,
    Rollcalls,
    on_csv_settled,
)
from bot.features.settings.links import SettingsLink
from bot.features.settings.menu import BUTTON as SETTINGS_BUTTON
from bot.features.settings.menu import SettingsMenus
from bot.features.supervision.commands import PICK_BUTTON, REPORT_KINDS, Reports
from bot.features.supervision.requests import CSV_BUTTON, HTML_BUTTON
from bot.features.supervision.retention import retention
from bot.features.supervision.weekly import WeeklyReports
from bot.platform.admins import Admins
from bot.platform.clock import Clock
from bot.platform.daily import Daily
from bot.platform.essentials import Essentials
from bot.platform.i18n import catalogs as bundled_catalogs
from bot.platform.inputs import Command, MemberChange
from bot.platform.leadership import Gate
from bot.platform.live import EDIT_KIND, POST_KIND, LiveMessages
from bot.platform.outbox.items import ResultRouter, Settled
from bot.platform.outbox.store import release_others_claims
from bot.platform.outbox.worker import OutboxWorker
from bot.platform.pipeline import Arrival, Feature, MessageIntake, Pipeline, no_state
from bot.platform.processed import forget_processed_before
from bot.platform.roster import RecentSenders
from bot.platform.services import Services
from bot.platform.settings import Settings
from bot.platform.storage.engine import create_engine, session_factory
from policies.features.notices import Tell
from policies.message import ChatMessage

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member", "chat_member")
PRIVATE_COMMANDS = ("start", "help", "digest", "groups", "report")
MEMBER_COMMANDS = ("help", "policy")
ADMIN_COMMANDS = (
    "settings",
    "policy",
    "quiet",
    "restdays",
    "mode",
    "duplicates",
    "digest",
    "ack",
    "report",
    "help",
)
# The command menu each kind of chat shows: members and admins of groups, private chats (and
# the default, for any other chat).
MENU_SCOPES: tuple[tuple[BotCommandScope, tuple[str, ...]], ...] = (
    (BotCommandScopeDefault(), PRIVATE_COMMANDS),
    (BotCommandScopeAllPrivateChats(), PRIVATE_COMMANDS),
    (BotCommandScopeAllGroupChats(), MEMBER_COMMANDS),
    (BotCommandScopeAllChatAdministrators(), ADMIN_COMMANDS),
)
# Telegram's command menus are per ISO 639-1 code, so Traditional Chinese readers get the default.
MENU_LANGUAGES = {None: "zh-Hans", "en": "en"}

# Handler groups, in the order an update visits them. Membership changes, and a group's first
# message when the bot did not know the group yet, come first, so that the bot's rights are
# known to what follows. Commands answer next and stop there; group messages that are not
# commands reach the pipeline only after them, so /policy at 23:00 is answered, not held.
MEMBERSHIP = -1
COMMANDS = 0
MESSAGES = 1


def build_application(settings: Settings, clock: Clock) -> JianfuApplication:
    """The Application with its services; the database is checked when it initialises."""
    token = settings.telegram.require_token()
    application: JianfuApplication = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram.base_url)
        .base_file_url(settings.telegram.base_file_url)
        .context_types(ContextTypes(context=JianfuContext, bot_data=BotData))
        .request(FastJSONRequest(connection_pool_size=256))
        .get_updates_request(FastJSONRequest(connection_pool_size=1))
        .rate_limiter(ChatRateLimiter())
        .job_queue(JobQueue[JianfuContext]())
        .build()
    )
    engine = create_engine(settings.database.url)
    sessions = session_factory(engine)
    catalogs, defaults = bundled_catalogs(), settings.defaults

    # ---- the platform ----
    gateway = BotGateway(application.bot)
    admins = Admins(gateway, sessions, clock)
    results = ResultRouter()
    gate = Gate()
    outbox = OutboxWorker(
        BotTransport(application.bot),
        sessions,
        clock,
        worker_id=settings.instance.id,
        on_settled=results,
        may_send=gate.open,
    )
    live = LiveMessages(sessions, clock)

    # ---- the features ----
    base = Essentials(sessions, clock, catalogs, defaults)
    notices = Notices(base)
    acks = Acks(base, live, gateway, admins)
    releases = Releases(base, gateway, acks.attach)
    holding = Holding(base, notices, releases)
    rollcalls = Rollcalls(base, live, admins)
    reminders = Reminders(base)
    link = SettingsLink(catalogs, lambda: application.bot.username)
    onboarding = Onboarding(base, gateway, link.button)
    # A group's new quiet hours or rest days re-plan what it holds.
    policy = PolicyCommands(
        base,
        admins,
        onboarding,
        {**PARSERS, "duplicates": duplicates_change, "digest": digest_change},
        followers=(holding.replan,),
    )
    digests = Digests(base, notices, releases, acks, rollcalls, outbox.wake)
    duplicates = Duplicates(base, gateway, admins, settings.duplicates)
    menus = SettingsMenus(base, admins, policy, link, outbox.wake)
    basics = Basics(base)
    weekly = WeeklyReports(base, settings.supervisors, outbox.wake)
    reports = Reports(base, admins, settings.supervisors, weekly, outbox.wake)
    texts_kept = retention(sessions, clock, settings.retention.message_text_days)
    updates_kept = Daily(clock, partial(forget_processed_before, sessions))

    # Claims rank in this order: a plain acknowledgement or a chain's repost is absorbed
    # before quiet hours would hold it; quiet hours hold before a batch group's digest would.
    pipeline = Pipeline(
        (
            acks.feature(),
            rollcalls.feature(),
            holding.feature(),
            digests.feature(),
            reminders.feature(),
            duplicates.feature(),
            Feature("notices", None, no_state, {Tell: notices.apply}),
        ),
        defaults,
    )

    def after_message() -> None:
        """What a committed message leaves to do: sending, and a table's header or a private
        note about a duplicate (the duplicates' tick)."""
        outbox.wake()
        if duplicates.take_waiting_work():
            alarm.ring_soon()

    intake = MessageIntake(pipeline, sessions, clock, gateway, RecentSenders(), after_message)

    live.register(TALLY_KIND, acks.live_kind())
    live.register(LIST_KIND, rollcalls.live_kind())

    # ---- how outbox items end ----
    async def group_notice_posted(settled: Settled) -> None:
        async with sessions() as session:
            await schedule_group_notice_delete(session, settled, clock.now())
            await session.commit()

    async def private_notice_settled(settled: Settled) -> None:
        await notices.on_private_settled(settled)
        outbox.wake()  # the group notice said instead of a refused private one

    async def release_posted(settled: Settled) -> None:
        await releases.on_posted(settled)
        await show_live()  # a released demand's tally

    results.route(POST_KIND, live.on_result)
    results.route(EDIT_KIND, live.on_result)
    results.route(HELD_DELETE_KIND, holding.on_delete_settled)
    results.route(GROUP_KIND, group_notice_posted)
    results.route(PRIVATE_KIND, private_notice_settled)
    results.route(PAGE_KIND, release_posted)
    results.route(EDIT_RELEASE_KIND, release_posted)
    results.route(CSV_KIND, partial(on_csv_settled, sessions))
    results.route(DIGEST_KIND, digests.on_settled)
    for kind in REPORT_KINDS:
        results.route(kind, reports.on_settled)

    services = Services(
        settings,
        clock,
        engine,
        sessions,
        outbox,
        live,
        # A group digest due with the release of held messages takes them in: it goes first.
        ticks=(
            digests.group_tick,
            releases.release_due,
            digests.personal_tick,
            live.tick,
            duplicates.run_due,
            weekly.tick,
            texts_kept.tick,
            updates_kept.tick,
        ),
        gate=gate,
    )
    application.bot_data.services = services
    alarm = application.bot_data.alarm = Alarm(application, services)

    async def show_live() -> None:
        """Edit the live messages a press or a note changed, now rather than at the sweep."""
        await alarm.arm(await live.tick())
        outbox.wake()

    async def arrived(arrival: Arrival) -> None:
        await intake.receive([arrival])

    async def note(message: ChatMessage) -> str | None:
        """A private text: a value a settings menu asked for, or a note for a roll-call (and
        a paused digest resumes: they write to the bot again)."""
        if message.sender is not None:
            await digests.resume(message.sender)
        reply = await menus.on_private_text(message)
        if reply is None:
            reply = await rollcalls.on_private_text(message)
        await show_live()
        return reply

    # ---- the handlers ----
    add = application.add_handler

    async def bot_membership(change: MemberChange) -> None:
        """The bot's rights are read first; then what it holds follows it out and back in."""
        await onboarding.on_bot_membership(change)
        await releases.on_bot_membership(change)
        outbox.wake()

    add(routes.member_changes(bot_membership, own=True), group=MEMBERSHIP)
    add(routes.member_changes(onboarding.on_member_change, own=False), group=MEMBERSHIP)
    add(routes.any_group_message(onboarding.on_group_message), group=MEMBERSHIP)

    async def start(command: Command) -> str | None:
        """/start: the welcome, or (from a settings link) the group's settings menu; a paused
        digest resumes."""
        if command.message.sender is not None:
            await digests.resume(command.message.sender)
        welcome = await basics.start(command)
        opened = await menus.open_from_start(command)
        return welcome if opened is None else opened

    add(routes.command("start", start), group=COMMANDS)
    add(routes.command("settings", menus.on_settings, groups_only=True), group=COMMANDS)
    add(routes.command("groups", menus.on_groups, private_only=True), group=COMMANDS)
    add(routes.command("help", basics.help), group=COMMANDS)
    add(routes.command("policy", policy.show_policy, groups_only=True), group=COMMANDS)

    async def change_policy(command: Command) -> str:
        reply = await policy.change(command)
        alarm.ring_soon()  # re-planned releases may be due now, or sooner than it is armed
        return reply

    for name in policy.commands:
        add(routes.command(name, change_policy, groups_only=True), group=COMMANDS)
    # /digest in a group is the admins' (above); in a private chat it is the personal digest.
    add(routes.command("digest", digests.on_private_command, private_only=True), group=COMMANDS)
    add(routes.command("ack", acks.on_ack_command, groups_only=True), group=COMMANDS)
    add(routes.command("report", reports.on_report), group=COMMANDS)
    button_routes = {
        ACK_BUTTON: acks.on_ack_button,
        ROSTER_BUTTON: acks.on_roster_button,
        JOIN_BUTTON: rollcalls.on_join,
        WITHDRAW_BUTTON: rollcalls.on_withdraw,
        CLOSE_BUTTON: rollcalls.on_close,
        PICK_BUTTON: reports.on_pick,
        HTML_BUTTON: reports.on_html,
        CSV_BUTTON: reports.on_csv,
        SAME_BUTTON: duplicates.on_same,
        DIFFERENT_BUTTON: duplicates.on_different,
        DIGEST_ACK_BUTTON: digests.on_ack,
        DIGEST_JOIN_BUTTON: digests.on_join,
        SETTINGS_BUTTON: menus.on_press,
    }
    add(routes.buttons(button_routes, after=show_live), group=COMMANDS)
    add(routes.group_messages(arrived), group=MESSAGES)
    add(routes.private_texts(note), group=MESSAGES)
    application.add_error_handler(
        error_reporter(settings.telegram.admin_chat_id, catalogs, defaults.language)
    )
    application.bot_data.stream = UpdateStream(
        application, intake, sessions, clock, onboarding.on_group_message
    )
    application.bot_data.menus = [
        (scope, code, [BotCommand(c, catalogs.text(f"command.{c}", lang)) for c in commands])
        for scope, commands in MENU_SCOPES
        for code, lang in MENU_LANGUAGES.items()
    ]
    return application


async def start_services(application: JianfuApplication) -> None:
    """The leader's work, from when it starts leading: claims left by an earlier leader given
    back, the command menus set, the outbox drained and the alarm clock running."""
    services = application.bot_data.services
    async with services.sessions() as session:
        released = await release_others_claims(session, worker=services.outbox.worker_id)
        await session.commit()
    if released:
        log.info("outbox: took over %d items an earlier leader had claimed", released)
    for scope, language_code, commands in application.bot_data.menus:
        try:
            await application.bot.set_my_commands(
                commands, scope=scope, language_code=language_code
            )
        except InvalidToken:
            raise
        except TelegramError as error:
            # The menus are a convenience: a flood answer or a 5xx here must not stop the bot.
            log.warning("command menus not set (%s); they are set at the next start", error)
            break
    services.background.append(asyncio.create_task(services.outbox.run_forever()))
    application.bot_data.alarm.start()


async def pause_services(application: JianfuApplication) -> None:
    """The leader's work stopped (its claims stay in the outbox for the next leader)."""
    services = application.bot_data.services
    application.bot_data.alarm.stop()
    for task in services.background:
        task.cancel()
    await asyncio.gather(*services.background, return_exceptions=True)
    services.background.clear()


async def stop_services(application: JianfuApplication) -> None:
    """After stop: the leader's work ended, the database closed."""
    await pause_services(application)
    await application.bot_data.services.engine.dispose()
