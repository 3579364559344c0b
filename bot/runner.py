"""Run the bot until SIGINT or SIGTERM, turning expected failures into one clear line."""

from __future__ import annotations

from telegram.error import InvalidToken, NetworkError

from bot.app import ALLOWED_UPDATES, build_application
from bot.clock import SystemClock
from bot.errors import FatalError
from bot.logging_setup import configure_logging
from bot.settings import Settings, TelegramMode


def run_bot(settings: Settings) -> None:
    configure_logging(settings.logging, settings.secrets())
    application = build_application(settings, SystemClock())
    telegram = settings.telegram
    try:
        if telegram.mode is TelegramMode.WEBHOOK:
            secret = telegram.webhook_secret_token
            application.run_webhook(
                listen=telegram.webhook_listen,
                port=telegram.webhook_port,
                url_path="telegram",
                webhook_url=telegram.webhook_url,
                secret_token=secret.value if secret else None,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            application.run_polling(allowed_updates=list(ALLOWED_UPDATES))
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
