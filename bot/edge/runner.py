"""Run the bot until SIGINT or SIGTERM, turning expected failures into one clear line.

The Application runs on our own event loop (PTB's documented alternative to run_polling), so a
rejected token surfaces as one InvalidToken here instead of a logged retry-loop traceback, and
the test harness starts and stops the bot with the same steps.
"""

from __future__ import annotations

import asyncio
import signal

from telegram.error import InvalidToken, NetworkError

from bot.app import ALLOWED_UPDATES, build_application, start_services, stop_services
from bot.edge.context import JianfuApplication
from bot.edge.fast import loop_factory
from bot.edge.updates import Poller
from bot.platform.clock import SystemClock
from bot.platform.errors import FatalError
from bot.platform.logging_setup import configure_logging
from bot.platform.settings import Settings, TelegramMode, TelegramSettings

WEBHOOK_PATH = "telegram"


def run_bot(settings: Settings) -> None:
    configure_logging(settings.logging, settings.secrets())
    telegram = settings.telegram
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(_serve_until_signal(build_application(settings, SystemClock()), telegram))
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


async def _serve_until_signal(application: JianfuApplication, telegram: TelegramSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(application, telegram, stop)


async def serve(
    application: JianfuApplication, telegram: TelegramSettings, stop: asyncio.Event
) -> None:
    """Receive updates (polling or webhook) until `stop` is set, then wind down in order."""
    async with application:
        await start_services(application)
        await application.start()
        stream = application.bot_data.stream
        services = application.bot_data.services
        webhook = None
        try:
            if telegram.mode is TelegramMode.WEBHOOK:
                from bot.edge.webhook import WebhookServer  # tornado, needed only here

                secret = telegram.webhook_secret_token
                assert secret is not None and telegram.webhook_url is not None, "settings check"
                webhook = WebhookServer(stream, WEBHOOK_PATH, secret.value)
                webhook.listen(telegram.webhook_listen, telegram.webhook_port)
                await application.bot.set_webhook(
                    telegram.webhook_url,
                    secret_token=secret.value,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
                await stop.wait()
            else:
                await application.bot.delete_webhook()
                poller = Poller(
                    application.bot, stream, services.sessions, services.clock, ALLOWED_UPDATES
                )
                await poller.run(stop)
        finally:
            if webhook is not None:
                await webhook.stop()
            if application.running:
                await application.stop()
            await stop_services(application)
