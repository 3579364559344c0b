"""`jianfu audit PATH`: what a group looked like, and what Jianfu would have done with it, read
from a Telegram Desktop export through the same classifier, calendar and decisions as the bot."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import BinaryIO, TextIO

import pytz
from tqdm import tqdm

from bot.edge.desktop_export import ExportSummary, export_file, read_export
from bot.features.supervision.csv_log import CsvLog
from bot.features.supervision.output import ReportOutput, render
from bot.platform.errors import FatalError
from bot.platform.i18n import Catalogs
from bot.platform.settings import DuplicateSettings
from policies.datakey import default_lexicon
from policies.group_policy import GroupPolicy
from policies.message import ChatMessage
from policies.replay import ChatReplay, ReplayedRequests, replay_message
from policies.supervision import GroupInfo, ReportBuilder, Source


def checked_timezone(name: str) -> str:
    if name not in pytz.all_timezones_set:
        raise FatalError(
            f"unknown timezone {name!r}; give an IANA name such as Asia/Shanghai", exit_code=2
        )
    return name


class _Audit:
    """Each message replayed in its chat and counted; rows written as they come for CSV."""

    def __init__(
        self, policy: GroupPolicy, csv: CsvLog | None, duplicates: DuplicateSettings
    ) -> None:
        self.policy = policy
        self.requests = ReplayedRequests.start(
            default_lexicon().with_objects(duplicates.objects), duplicates.window
        )
        self.builder = ReportBuilder(Source.EXPORT)
        self.chats: dict[int, ChatReplay] = {}
        self.names: dict[int, str] = {}
        self.csv = csv
        self.count = 0

    def message(self, message: ChatMessage) -> None:
        self.count += 1
        chat = self.chats.get(message.chat.id)
        if chat is None:
            chat = self.chats[message.chat.id] = ChatReplay.start(self.policy)
            title = message.chat.title or str(message.chat.id)
            self.builder.group(GroupInfo(message.chat.id, title, self.policy))
        entry = replay_message(chat, message, self.requests)
        if entry is None:
            return
        self.builder.add(entry)
        name = message.sender_name
        if entry.sender_id is not None and name:
            self.names[entry.sender_id] = name
        if self.csv is not None:
            self.csv.row(entry, message.chat.title or "", name, self.policy.timezone)


def run_audit(
    path: Path,
    defaults: GroupPolicy,
    catalogs: Catalogs,
    *,
    timezone: str | None,
    fmt: str,
    out: Path | None,
    lang: str,
    today: date,
    err: TextIO,
    progress: bool | None = None,
    duplicates: DuplicateSettings | None = None,
) -> int:
    """Audit the export at `path`; the report goes to `out` (stdout when None)."""
    policy = defaults
    if timezone is not None:
        policy = dataclasses.replace(defaults, timezone=checked_timezone(timezone))
    source = export_file(path)
    try:
        stream = source.open("rb")
        size = source.stat().st_size
    except OSError as error:
        raise FatalError(f"cannot read {source}: {error.strerror}", exit_code=2) from None
    with stream, ReportOutput(out) as target:
        csv = CsvLog(target.binary, catalogs, lang) if fmt == "csv" else None
        audit = _Audit(policy, csv, duplicates or DuplicateSettings())
        summary = _read(stream, source, size, audit, err, progress)
        _warn(summary, err)
        if csv is not None:
            csv.close()
        else:
            for chat_id, chat in audit.chats.items():
                audit.builder.set_members(chat_id, len(chat.senders))
            for chat_id, linked in audit.requests.linked.items():
                audit.builder.add_duplicates(chat_id, linked)
            empty = today if not audit.count else None
            report = audit.builder.build(audit.names, empty, empty, policy.timezone)
            render(report, fmt, catalogs, lang, target.binary)
        target.commit()
    return 0


def _read(
    stream: BinaryIO, source: Path, size: int, audit: _Audit, err: TextIO, progress: bool | None
) -> ExportSummary:
    """read_export with a progress bar on `err` (bytes for the percentage, messages per second)."""
    disabled = not err.isatty() if progress is None else not progress
    with tqdm(
        total=size or None,
        unit="B",
        unit_scale=True,
        desc="audit",
        file=err,
        disable=disabled,
        mininterval=0.5,
    ) as bar:
        started = time.monotonic()
        on_progress: Callable[[int], None] | None = None
        if not disabled:

            def on_progress(read: int) -> None:
                bar.update(read)
                rate = audit.count / max(time.monotonic() - started, 1e-6)
                bar.set_postfix_str(f"{audit.count:,} messages, {rate:,.0f}/s", refresh=False)

        return read_export(stream, audit.message, on_progress, name=str(source))


def _warn(summary: ExportSummary, err: TextIO) -> None:
    if summary.corrupt:
        named = ", ".join(
            f"{example.message_id} ({example.problem})" for example in summary.corrupt_examples
        )
        more = summary.corrupt - len(summary.corrupt_examples)
        tail = f" and {more} more" if more > 0 else ""
        print(
            f"jianfu: warning: {summary.corrupt} corrupt messages skipped: {named}{tail}",
            file=err,
        )
    if summary.other_chats:
        print(
            f"jianfu: note: {summary.other_chats} chats that are not groups (private chats, "
            "channels) were left out",
            file=err,
        )
    if not summary.group_chats:
        print("jianfu: note: the export holds no group chat", file=err)
