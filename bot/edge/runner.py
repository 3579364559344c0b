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
from bot.platform.clock import SystemClock
from bot.platform.errors import FatalError
from bot.platform.logging_setup import configure_logging
from bot.platform.settings import Settings, TelegramMode, TelegramSettings

WEBHOOK_PATH = "telegram"
# A short pause between getUpdates calls lets a burst arrive as one batch instead of one call
# per update (bench/pipeline.py: p50 at 200 updates/s fell from over 1 s to 50-80 ms).
POLL_INTERVAL = 0.02


def run_bot(settings: Settings) -> None:
    configure_logging(settings.logging, settings.secrets())
    telegram = settings.telegram
    try:
        asyncio.run(_serve_until_signal(build_application(settings, SystemClock()), telegram))
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
        updater = application.updater
        assert updater is not None
        try:
            if telegram.mode is TelegramMode.WEBHOOK:
                secret = telegram.webhook_secret_token
                await updater.start_webhook(
                    listen=telegram.webhook_listen,
                    port=telegram.webhook_port,
                    url_path=WEBHOOK_PATH,
                    webhook_url=telegram.webhook_url,
                    secret_token=secret.value if secret else None,
                    allowed_updates=list(ALLOWED_UPDATES),
                )
            else:
                await updater.start_polling(
                    poll_interval=POLL_INTERVAL, allowed_updates=list(ALLOWED_UPDATES)
                )
            await application.start()
            await stop.wait()
        finally:
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
            await stop_services(application)
