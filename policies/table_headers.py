"""The header row of a template sent with a data request (xlsx, docx, csv), from its bytes.

Pure: the caller fetched the file; this reads bytes in memory. A file that is too big, unreadable
or not a table gives a NotATable with the reason, and the request is keyed by its text alone.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

MAX_BYTES = 20 * 1024 * 1024  # what getFile lets a bot download
_ROWS_SEARCHED = 10  # the header is among the first rows: a title row may come first
_DOCX_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GBK


@dataclass(frozen=True)
class TableHeader:
    cells: tuple[str, ...]
    title: str = ""  # a one-cell row above the header: 2026年低保对象花名册


@dataclass(frozen=True)
class NotATable:
    reason: str


def _header_of(rows: list[list[str]]) -> TableHeader | NotATable:
    """The first row of two or more filled cells is the header; a one-cell row above is a title."""
    title = ""
    for row in rows[:_ROWS_SEARCHED]:
        cells = [cell.strip() for cell in row if cell and cell.strip()]
        if len(cells) >= 2:
            return TableHeader(cells=tuple(cells), title=title)
        if len(cells) == 1 and not title:
            title = cells[0]
    return NotATable("no row with two or more filled cells")


def _xlsx_rows(content: bytes) -> list[list[str]]:
    # openpyxl is imported only when a spreadsheet arrives: the bot starts without it.
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [
            ["" if value is None else str(value) for value in row]
            for row in sheet.iter_rows(max_row=_ROWS_SEARCHED, values_only=True)
        ]
    finally:
        workbook.close()


def _docx_rows(content: bytes) -> list[list[str]]:
    """The rows of the first table in word/document.xml, streamed so a huge document stops early."""
    rows: list[list[str]] = []
    with zipfile.ZipFile(io.BytesIO(content)) as archive, archive.open("word/document.xml") as xml:
        row: list[str] | None = None
        for event, element in ElementTree.iterparse(xml, events=("start", "end")):
            if event == "start" and element.tag == _DOCX_NS + "tr":
                row = []
            elif event == "end" and element.tag == _DOCX_NS + "tc" and row is not None:
                row.append("".join(text.text or "" for text in element.iter(_DOCX_NS + "t")))
            elif event == "end" and element.tag == _DOCX_NS + "tr" and row is not None:
                rows.append(row)
                row = None
                if len(rows) >= _ROWS_SEARCHED:
                    break
            elif event == "end" and element.tag == _DOCX_NS + "tbl" and rows:
                break
    return rows


def _csv_rows(content: bytes) -> list[list[str]]:
    head = content[: 64 * 1024]
    for encoding in _CSV_ENCODINGS:
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        lines = text.splitlines()[:_ROWS_SEARCHED]
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                "\n".join(lines), ",;\t|"
            )
        except csv.Error:
            dialect = csv.excel
        return list(csv.reader(lines, dialect))
    raise ValueError("neither UTF-8 nor GB18030 text")


_READERS = {".xlsx": _xlsx_rows, ".xlsm": _xlsx_rows, ".docx": _docx_rows, ".csv": _csv_rows}


def _suffix(file_name: str) -> str:
    return "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""


def unreadable(file_name: str | None, size: int | None) -> str | None:
    """Why a file can give no header, known from its name and size before fetching it; None
    when it may (an unknown size is tried: the bytes fetched are checked again)."""
    suffix = _suffix(file_name or "")
    if suffix not in _READERS:
        return f"{suffix or 'no extension'}: not xlsx, docx or csv"
    if size is not None and size > MAX_BYTES:
        return f"{size} bytes: over the {MAX_BYTES} a template may have"
    return None


def table_header(content: bytes, file_name: str) -> TableHeader | NotATable:
    """The header row (and title) of a spreadsheet or document table, or why there is none."""
    reason = unreadable(file_name, len(content))
    if reason is not None:
        return NotATable(reason)
    suffix = _suffix(file_name)
    reader = _READERS[suffix]
    try:
        return _header_of(reader(content))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, OSError) as error:
        return NotATable(f"unreadable {suffix[1:]}: {error}")
    except Exception as error:  # openpyxl raises many kinds of error on a broken file
        return NotATable(f"unreadable {suffix[1:]}: {type(error).__name__}")
