"""Where a report goes (a file, written whole or not at all, or standard output) and in which
rendering."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from bot.features.supervision.html import render_html
from bot.features.supervision.json_report import report_json
from bot.features.supervision.text import render_text
from bot.platform.errors import FatalError
from bot.platform.i18n import Catalogs
from policies.supervision import Report


def render(report: Report, fmt: str, catalogs: Catalogs, lang: str, out: BinaryIO) -> None:
    """Write `report` in `fmt` (text, html or json; CSV is written row by row elsewhere)."""
    if fmt == "json":
        text = json.dumps(report_json(report), ensure_ascii=False, indent=1) + "\n"
    elif fmt == "html":
        text = render_html(report, catalogs, lang)
    else:
        text = render_text(report, catalogs, lang)
    out.write(text.encode("utf-8"))
    out.flush()


class ReportOutput:
    """A file written beside its final name and moved there by commit(), so that a failure
    leaves no half report; or standard output when no file is named."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._partial = path.with_name(path.name + ".part") if path is not None else None
        self.binary: BinaryIO = sys.stdout.buffer

    def __enter__(self) -> ReportOutput:
        if self._partial is not None:
            try:
                self.binary = self._partial.open("wb")
            except OSError as error:
                raise FatalError(
                    f"cannot write {self.path}: {error.strerror}; choose another --out",
                    exit_code=2,
                ) from None
        return self

    def commit(self) -> None:
        if self.path is not None and self._partial is not None:
            self.binary.close()
            os.replace(self._partial, self.path)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._partial is None:
            self.binary.flush()
        elif not self.binary.closed:  # not committed: no half report is left behind
            self.binary.close()
            self._partial.unlink(missing_ok=True)
