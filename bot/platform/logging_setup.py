"""Logging for the whole process, with every secret redacted from every record."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from urllib.parse import quote

from bot.platform.settings import ConfigError, LoggingSettings

REDACTED = "[REDACTED]"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# httpx logs one INFO line per request, and the request URL holds the bot token; Alembic logs
# its migration context each time the bot checks the database revision at start-up; APScheduler
# logs every run of the alarm-clock job.
_CHATTY_LOGGERS = ("httpx", "httpcore", "alembic", "apscheduler")
_OWN_HANDLER = "jianfu"


class RedactingFilter(logging.Filter):
    """Replaces each secret in a record's final message, exception and stack text."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        variants = {
            form for secret in secrets if secret for form in (secret, quote(secret, safe=""))
        }
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(variants, key=len, reverse=True)
        self._formatter = logging.Formatter()

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # logging would print the raw arguments in its error report: redact them too.
            message = f"{record.msg} (arguments that do not fit: {record.args!r})"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(settings: LoggingSettings, secrets: Iterable[str]) -> RedactingFilter:
    """Log to standard error (and settings.file) at settings.level, redacting `secrets`.

    The filter goes on every root handler, including ones installed before this call, because
    handler filters see records from all loggers while a logger's filter sees only its own.
    Calling it again replaces the handlers it installed earlier.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == _OWN_HANDLER]:
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if settings.file is not None:
        try:
            handlers.append(logging.FileHandler(settings.file, encoding="utf-8"))
        except OSError as error:
            raise ConfigError(
                [f"logging.file: cannot open {settings.file} ({error.strerror}); fix the path"]
            ) from None
    for handler in handlers:
        handler.set_name(_OWN_HANDLER)
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    redacting = RedactingFilter(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
    root.setLevel(settings.level)
    quiet_level = logging.DEBUG if settings.level == "DEBUG" else logging.WARNING
    for name in _CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(quiet_level)
    return redacting
