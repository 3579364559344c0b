"""Template header rows from xlsx, docx and csv bytes; anything else says why not."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

from policies.table_headers import MAX_BYTES, NotATable, TableHeader, table_header


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def docx(rows: list[list[str]]) -> bytes:
    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    cells = "".join(
        "<w:tr>"
        + "".join(f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>" for c in row)
        + "</w:tr>"
        for row in rows
    )
    body = f"<w:document {ns}><w:body><w:p/><w:tbl>{cells}</w:tbl></w:body></w:document>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", body)
    return buffer.getvalue()


def test_xlsx_header_after_a_title_row() -> None:
    content = xlsx([["2026年低保对象花名册"], ["序号", "户主姓名", "身份证号", None], [1, "张三"]])
    assert table_header(content, "低保.XLSX") == TableHeader(
        cells=("序号", "户主姓名", "身份证号"), title="2026年低保对象花名册"
    )


def test_docx_first_table_row() -> None:
    assert table_header(docx([["姓名", "电话"], ["李四", "138"]]), "表.docx") == TableHeader(
        cells=("姓名", "电话")
    )


def test_csv_in_utf8_and_gbk() -> None:
    text = "姓名,地址,电话\n王五,东山村,139\n"
    for encoding in ("utf-8-sig", "gbk"):
        header = table_header(text.encode(encoding), "a.csv")
        assert header == TableHeader(cells=("姓名", "地址", "电话"))


def test_not_a_table_too_big_or_unreadable_says_why() -> None:
    assert isinstance(table_header(b"%PDF-1.7", "a.pdf"), NotATable)
    assert "over" in str(table_header(b"0" * (MAX_BYTES + 1), "a.csv"))
    assert "unreadable" in str(table_header(b"not a zip", "a.xlsx"))
    assert "unreadable" in str(table_header(b"not a zip", "a.docx"))
    assert isinstance(table_header(xlsx([["只有一格"]]), "a.xlsx"), NotATable)
    assert isinstance(table_header(b"\xff\xfe\x00\xd8" * 10, "a.csv"), NotATable)
