"""The error handler: log every failure, and tell the configured admin chat about it."""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from bot.context import JianfuContext

log = logging.getLogger(__name__)


async def report_error(update: object, context: JianfuContext) -> None:
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    admin_chat = context.services.settings.telegram.admin_chat_id
    if admin_chat is None:
        return
    services = context.services
    summary = f"{type(context.error).__name__}: {context.error}"[:3500]
    report = services.catalogs.text(
        "error.admin_report", services.settings.defaults.language, error=summary
    )
    try:
        await context.bot.send_message(admin_chat, report)
    except TelegramError:
        log.warning("could not report the error to admin chat %s", admin_chat, exc_info=True)
