"""`jianfu audit PATH`: what a group looked like, and what Jianfu would have done with it, read
from a Telegram Desktop export through the same classifier, calendar and decisions as the bot."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TextIO

import pytz
from tqdm import tqdm

from bot.edge.desktop_export import ExportSummary, export_file, read_export
from bot.features.supervision.audit import (
    PARALLEL_FROM_BYTES,
    Audit,
    available_processes,
    count_duplicates,
    parallel_audit,
    replayed_requests,
    stretches_for,
)
from bot.features.supervision.csv_log import CsvLog
from bot.features.supervision.output import ReportOutput, render
from bot.platform.errors import FatalError
from bot.platform.i18n import Catalogs
from bot.platform.settings import DuplicateSettings
from policies.group_policy import GroupPolicy


def checked_timezone(name: str) -> str:
    if name not in pytz.all_timezones_set:
        raise FatalError(
            f"unknown timezone {name!r}; give an IANA name such as Asia/Shanghai", exit_code=2
        )
    return name


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
    jobs: int | None = None,
    duplicates: DuplicateSettings | None = None,
) -> int:
    """Audit the export at `path`; the report goes to `out` (stdout when None).

    `jobs` processes share the work (None: one per CPU for a large export; CSV, whose rows
    are written in file order as they come, always takes one)."""
    policy = defaults
    if timezone is not None:
        policy = dataclasses.replace(defaults, timezone=checked_timezone(timezone))
    if jobs is not None and jobs < 1:
        raise FatalError(f"--jobs {jobs}: give 1 or more processes", exit_code=2)
    source = export_file(path)
    try:
        stream = source.open("rb")
        size = source.stat().st_size
    except OSError as error:
        raise FatalError(f"cannot read {source}: {error.strerror}", exit_code=2) from None
    processes = jobs or (available_processes() if size >= PARALLEL_FROM_BYTES else 1)
    stretches = stretches_for(source, processes) if fmt != "csv" else None
    with stream, ReportOutput(out) as target, _bar(size, err, progress) as bar:
        if stretches is not None:
            builder, names, summary, count = parallel_audit(
                source, policy, stretches, bar.update if bar.shown else None, duplicates
            )
        else:
            csv = CsvLog(target.binary, catalogs, lang) if fmt == "csv" else None
            requests = replayed_requests(duplicates or DuplicateSettings())
            audit = Audit(policy, csv, requests=requests.reading())
            read = 0

            def on_read(amount: int) -> None:
                nonlocal read
                read += amount
                bar.update(read, audit.count)

            summary = read_export(
                stream, audit.message, on_read if bar.shown else None, name=str(source)
            )
            if csv is not None:
                csv.close()
            builder, names, count = audit.finish(), audit.names, audit.count
            count_duplicates(builder, requests)
        _warn(summary, err)
        if fmt != "csv":
            empty = today if not count else None
            report = builder.build(names, empty, empty, policy.timezone)
            render(report, fmt, catalogs, lang, target.binary)
        target.commit()
    return 0


class _Bar:
    """The progress bar on `err`: bytes read (for the percentage) and messages per second."""

    def __init__(self, size: int, err: TextIO, shown: bool) -> None:
        self.shown = shown
        self._bar = tqdm(
            total=size or None,
            unit="B",
            unit_scale=True,
            desc="audit",
            file=err,
            disable=not shown,
            mininterval=0.5,
        )
        self._read = 0
        self._started = time.monotonic()

    def update(self, read: int, messages: int, processes: int = 1) -> None:
        """How far the audit is: bytes read and messages seen so far (by the slowest process)."""
        self._bar.update(read - self._read)
        self._read = read
        rate = messages / max(time.monotonic() - self._started, 1e-6)
        each = f", {processes} processes" if processes > 1 else ""
        self._bar.set_postfix_str(f"{messages:,} messages, {rate:,.0f}/s{each}", refresh=False)

    def close(self) -> None:
        self._bar.close()


@contextmanager
def _bar(size: int, err: TextIO, progress: bool | None) -> Iterator[_Bar]:
    bar = _Bar(size, err, err.isatty() if progress is None else progress)
    try:
        yield bar
    finally:
        bar.close()


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
