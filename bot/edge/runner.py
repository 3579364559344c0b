"""Run the bot until SIGINT or SIGTERM, turning expected failures into one clear line.

The Application runs on our own event loop (PTB's documented alternative to run_polling), so a
rejected token surfaces as one InvalidToken here instead of a logged retry-loop traceback, and
the test harness starts and stops the bot with the same steps.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram.error import InvalidToken, NetworkError

from bot.app import (
    ALLOWED_UPDATES,
    build_application,
    pause_services,
    start_services,
    stop_services,
)
from bot.edge.context import JianfuApplication
from bot.edge.fast import loop_factory
from bot.edge.updates import PollConflict, Poller
from bot.platform.clock import Clock, SystemClock
from bot.platform.errors import FatalError
from bot.platform.leadership import (
    Leadership,
    PostgresLeadership,
    StandbyTiming,
    sole_instance,
)
from bot.platform.logging_setup import configure_logging
from bot.platform.outbox.worker import default_worker_id
from bot.platform.settings import Settings, TelegramMode, TelegramSettings
from bot.platform.startup import group_count, startup_summary
from bot.platform.storage.engine import database_url, is_sqlite
from bot.platform.storage.migrate import ensure_at_head

if TYPE_CHECKING:
    from bot.edge.webhook import WebhookServer

WEBHOOK_PATH = "telegram"
CONFLICT_PAUSE_S = 60.0  # after a 409 from getUpdates: another bot polls; look again this late

log = logging.getLogger(__name__)


def run_bot(settings: Settings, clock: Clock | None = None) -> None:
    """Serve until a signal; on the system clock unless a test gives its own."""
    configure_logging(settings.logging, settings.secrets())
    telegram = settings.telegram
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            application = build_application(settings, clock or SystemClock())
            runner.run(_serve_until_signal(application, settings))
    except InvalidToken:
        raise FatalError(
            "Telegram rejected the bot token (401 Unauthorized): copy the token again from "
            "@BotFather into [telegram] token or JIANFU_BOT_TOKEN"
        ) from None
    except NetworkError as error:
        raise FatalError(
            f"cannot reach the Bot API at {telegram.base_url} ({error.message}): check the "
            "network and [telegram] base_url"
        ) from None


async def _serve_until_signal(application: JianfuApplication, settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(application, settings, stop)


async def serve(application: JianfuApplication, settings: Settings, stop: asyncio.Event) -> None:
    """Receive updates (polling or webhook) until `stop` is set, then wind down in order.

    Only the leading instance polls, runs the jobs and drains the outbox (see leadership); in
    webhook mode every instance answers the webhook, since a load balancer may send an update
    to any of them.
    """
    telegram = settings.telegram
    # First of all: a second instance on a SQLite file stops here, before it touches anything.
    with leadership_for(settings) as leadership:
        async with application:
            services = application.bot_data.services
            await ensure_at_head(services.engine)
            async with services.sessions() as session:
                groups = await group_count(session)
            log.info("%s", startup_summary(settings, application.bot.username, groups))
            await application.start()
            services.gate.follow(leadership)
            webhook: WebhookServer | None = None
            try:
                if telegram.mode is TelegramMode.WEBHOOK:
                    webhook = _webhook(application, telegram)
                while await leadership.lead(stop):
                    await _lead(application, telegram, leadership, stop)
            finally:
                await leadership.close()
                if webhook is not None:
                    await webhook.stop()
                if application.running:
                    await application.stop()
                await stop_services(application)


@contextmanager
def leadership_for(settings: Settings) -> Iterator[Leadership]:
    """SQLite: this instance alone (a second one refuses to start). PostgreSQL: one leader
    among the instances that share the database."""
    url = database_url(settings.database.url)
    if is_sqlite(url):
        with sole_instance(Path(url.database or "jianfu.db")) as alone:
            yield alone
        return
    instance = settings.instance.id or default_worker_id()
    grace = float(settings.instance.standby_grace_seconds)
    yield PostgresLeadership(url, instance, StandbyTiming(beat=max(1.0, grace / 6), grace=grace))


async def _lead(
    application: JianfuApplication,
    telegram: TelegramSettings,
    leadership: Leadership,
    stop: asyncio.Event,
) -> None:
    """The leader's work until `stop`, or until this instance stops leading."""
    services = application.bot_data.services
    await start_services(application)
    ended = asyncio.Event()
    try:
        if telegram.mode is TelegramMode.WEBHOOK:
            secret = telegram.webhook_secret_token
            assert telegram.webhook_url is not None and secret is not None, "settings check"
            await application.bot.set_webhook(
                telegram.webhook_url,
                secret_token=secret.value,
                allowed_updates=list(ALLOWED_UPDATES),
            )
            work: Awaitable[Any] = ended.wait()
        else:
            await application.bot.delete_webhook()
            poller = Poller(
                application.bot,
                application.bot_data.stream,
                services.sessions,
                services.clock,
                ALLOWED_UPDATES,
                may_poll=leadership.valid,
            )
            work = poller.run(ended)
        await _until_first(work, stop.wait(), leadership.lost())
    except PollConflict as conflict:
        log.warning(
            "Telegram says another bot polls with this token (%s); this instance steps down "
            "and looks again in %.0f s",
            conflict,
            CONFLICT_PAUSE_S,
        )
        await leadership.step_down()
        await _until_first(stop.wait(), asyncio.sleep(CONFLICT_PAUSE_S))
    finally:
        ended.set()
        await pause_services(application)


async def _until_first(*work: Awaitable[Any]) -> None:
    """Wait until one of `work` is done (raising what it raised); the others are cancelled."""
    tasks = [asyncio.ensure_future(w) for w in work]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()


def _webhook(application: JianfuApplication, telegram: TelegramSettings) -> WebhookServer:
    from bot.edge.webhook import WebhookServer  # tornado, needed only here

    secret = telegram.webhook_secret_token
    assert secret is not None, "settings check"
    webhook = WebhookServer(application.bot_data.stream, WEBHOOK_PATH, secret.value)
    webhook.listen(telegram.webhook_listen, telegram.webhook_port)
    return webhook
