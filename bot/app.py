"""The composition root: settings in, a ready PTB Application out. Nothing else wires parts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from telegram import BotCommand
from telegram.ext import ApplicationBuilder, ContextTypes, JobQueue

from bot.context import BotData, JianfuApplication, JianfuContext, SentHooks, Services
from bot.edge.ratelimit import ChatRateLimiter
from bot.handlers import register_handlers
from bot.platform.clock import Clock
from bot.platform.i18n import catalogs
from bot.platform.outbox import OutboxWorker
from bot.platform.settings import Settings
from bot.platform.storage.engine import create_engine, session_factory
from bot.platform.storage.migrate import ensure_at_head

# The alarm clock's safety net; exact times are armed from what the ticks say they need.
TICK_INTERVAL = timedelta(seconds=60)
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member", "chat_member")
MENU_COMMANDS = ("start", "help", "policy", "quiet", "restdays", "mode", "ack")
# Telegram's command menus are per ISO 639-1 code, so Traditional Chinese readers get the default.
MENU_LANGUAGES = {None: "zh-Hans", "en": "en"}


def build_application(settings: Settings, clock: Clock) -> JianfuApplication:
    """The Application with its services; the database is checked when it initialises."""
    token = settings.telegram.require_token()
    engine = create_engine(settings.database.url)
    application: JianfuApplication = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.telegram.base_url)
        .base_file_url(settings.telegram.base_file_url)
        .context_types(ContextTypes(context=JianfuContext, bot_data=BotData))
        .rate_limiter(ChatRateLimiter())
        .job_queue(JobQueue[JianfuContext]())
        .build()
    )
    sessions = session_factory(engine)
    hooks = SentHooks()
    application.bot_data.services = Services(
        settings=settings,
        clock=clock,
        catalogs=catalogs(),
        engine=engine,
        sessions=sessions,
        outbox=OutboxWorker(application.bot, sessions, clock, on_sent=hooks),
        sent_hooks=hooks,
    )
    register_handlers(application)
    return application


async def start_services(application: JianfuApplication) -> None:
    """After initialize: check the database, set the command menu, start the background loops."""
    services = application.bot_data.services
    await ensure_at_head(services.engine)
    for language_code, lang in MENU_LANGUAGES.items():
        commands = [
            BotCommand(c, services.catalogs.text(f"command.{c}", lang)) for c in MENU_COMMANDS
        ]
        await application.bot.set_my_commands(commands, language_code=language_code)
    services.background.append(asyncio.create_task(services.outbox.run_forever()))
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is a dependency"
    # The first run at start-up catches up on whatever fell due while the bot was down.
    job_queue.run_repeating(_alarm, interval=TICK_INTERVAL, first=0, name="tick")


async def _alarm(context: JianfuContext) -> None:
    """The JobQueue only wakes the bot; what is due is read from the database by the ticks."""
    services = context.services
    next_due = await services.run_ticks()
    job_queue = context.job_queue
    # Only a future time is armed: anything due now that a tick could not finish waits for the
    # safety net rather than re-arming the alarm in a tight loop.
    if next_due is not None and next_due > services.clock.now() and job_queue is not None:
        name = f"tick:{next_due.isoformat()}"
        if not job_queue.get_jobs_by_name(name):
            # PTB types a context's job queue with an unbound context type; it is this one.
            job_queue.run_once(_alarm, when=next_due, name=name)  # type: ignore[arg-type]


async def stop_services(application: JianfuApplication) -> None:
    """After stop: end the background loops (their claims stay in the outbox), close the DB."""
    services = application.bot_data.services
    for task in services.background:
        task.cancel()
    await asyncio.gather(*services.background, return_exceptions=True)
    services.background.clear()
    await services.engine.dispose()
