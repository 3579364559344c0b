"""The log rows of a period as CSV: UTF-8 with a byte-order mark, so that spreadsheet programs
read Chinese correctly; written row by row, whatever the number of rows."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import BinaryIO

import pytz

from bot.platform.i18n import Catalogs
from policies.supervision import LogEntry, quiet_reason_bucket

COLUMNS = (
    "chat_id",
    "chat",
    "message_id",
    "sender_id",
    "sender",
    "sent_at",
    "local_time",
    "action",
    "labels",
    "after_hours",
    "quiet_reason",
    "urgent_reason",
    "text",
)
# A cell starting with one of these is a formula to a spreadsheet: a message must not become one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _seconds(at: datetime) -> str:
    """YYYY-MM-DD HH:MM:SS of the wall time `at` shows (isoformat is C; strftime is slow)."""
    return at.replace(tzinfo=None).isoformat(" ", "seconds")


class CsvLog:
    """Writes the header at once, then one row per entry."""

    def __init__(self, out: BinaryIO, catalogs: Catalogs, lang: str) -> None:
        self._text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        self._writer = csv.writer(self._text)
        self._catalogs, self._lang = catalogs, lang
        self._words: dict[str, str] = {}
        self._zones: dict[str, pytz.BaseTzInfo] = {}
        self._writer.writerow([self._word(f"csv.{column}") for column in COLUMNS])

    def _word(self, key: str) -> str:
        word = self._words.get(key)
        if word is None:
            word = self._words[key] = self._catalogs.text(f"report.{key}", self._lang)
        return word

    def row(self, entry: LogEntry, chat_title: str, sender_name: str, zone: str) -> None:
        tz = self._zones.get(zone)
        if tz is None:
            tz = self._zones[zone] = pytz.timezone(zone)
        labels = " ".join(self._word(f"label.{label}") for label in sorted(entry.labels))
        reason = (
            self._word(f"reason.{quiet_reason_bucket(entry.quiet_reason)}")
            if entry.after_hours
            else ""
        )
        self._writer.writerow(
            (
                entry.chat_id,
                _cell(chat_title),
                entry.message_id,
                "" if entry.sender_id is None else entry.sender_id,
                _cell(sender_name),
                _seconds(entry.sent_at),
                _seconds(entry.sent_at.astimezone(tz)),
                self._word(f"action.{entry.action}"),
                labels,
                self._word("csv.yes" if entry.after_hours else "csv.no"),
                reason,
                _cell(entry.urgent_reason),
                _cell(entry.text),
            )
        )

    def close(self) -> None:
        """Flush and let go of the stream without closing it."""
        self._text.flush()
        self._text.detach()
