"""The error handler: log every failure, and tell the configured admin chat about it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import TelegramError

from bot.edge.context import JianfuContext
from bot.platform.i18n import Catalogs

log = logging.getLogger(__name__)

ErrorHandler = Callable[[object, JianfuContext], Coroutine[Any, Any, None]]


def error_reporter(admin_chat_id: int | None, catalogs: Catalogs, lang: str) -> ErrorHandler:
    async def report_error(update: object, context: JianfuContext) -> None:
        log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
        if admin_chat_id is None:
            return
        summary = f"{type(context.error).__name__}: {context.error}"[:3500]
        report = catalogs.text("error.admin_report", lang, error=summary)
        try:
            await context.bot.send_message(admin_chat_id, report)
        except TelegramError:
            log.warning("could not report the error to admin chat %s", admin_chat_id, exc_info=True)

    return report_error
