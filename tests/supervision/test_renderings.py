"""The renderings of a report: HTML self-contained with no URL, in each language; JSON fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import escape

import pytest

from bot.features.supervision.html import render_html
from bot.features.supervision.json_report import report_json
from bot.features.supervision.text import render_text
from bot.platform.i18n import LANGUAGES, load_catalogs
from policies.group_policy import GroupPolicy
from policies.supervision import GroupInfo, LogEntry, Report, ReportBuilder, Source

CATALOGS = load_catalogs()
NIGHT = datetime(2024, 5, 8, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai


def report(source: Source = Source.LOG, members: int | None = 30) -> Report:
    builder = ReportBuilder(source)
    builder.group(GroupInfo(-1001, "https://evil.example 群", GroupPolicy(), members))
    for minute in range(3):
        builder.add(
            LogEntry(
                -1001,
                minute,
                7,
                NIGHT + timedelta(minutes=minute),
                "urgent_passed",
                frozenset({"urgent"}),
                True,
                "quiet_hours",
                "see www.example.org/x",
            )
        )
    builder.add(LogEntry(-1001, 9, 8, NIGHT, "absorbed", frozenset({"ack"}), True, "quiet_hours"))
    return builder.build({7: '=HYPERLINK("http://x")', 8: "李四"})


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_is_one_file_without_any_url(lang: str) -> None:
    html = render_html(report(), CATALOGS, lang)
    assert html.startswith("<!DOCTYPE html>") and f'lang="{lang}"' in html
    assert not re.search(r"(?i)https?:|://|www\.|\bsrc=|\bhref=|url\(|@import", html)
    assert "<svg" in html and "<script" not in html and 'name="viewport"' in html
    assert escape(CATALOGS.text("report.clause.after_hours", lang)) in html


def test_recipient_figures_are_withheld_in_small_groups() -> None:
    assert report(members=30).total.notifications_saved == 30
    small = report(members=3)
    assert small.groups[0].notifications_saved is None
    assert CATALOGS.text("report.figure.notifications_saved", "en") not in render_text(
        small, CATALOGS, "en"
    )


def test_json_fields_and_findings_under_their_clauses() -> None:
    data = report_json(report(Source.EXPORT))
    assert data["would_hold"] == 0 and "held" not in data and data["urgent_passed"] == 3
    assert data["hours"][22] == 4 and len(data["hours"]) == 24
    clauses = {f["clause"] for f in data["findings"]}
    clauses_expected = {"after_hours", "round_the_clock", "instant_response", "duplicate_data"}
    assert clauses == clauses_expected | {"proof"}
    assert {"clause": "duplicate_data", "key": "none"} in data["findings"]


def test_demands_for_proof_are_counted_next_to_their_rule() -> None:
    builder = ReportBuilder(Source.LOG)
    builder.group(GroupInfo(-1001, "工作群", GroupPolicy(), 30))
    proof = frozenset({"data_request", "proof_demand"})
    builder.add(LogEntry(-1001, 10, 8, NIGHT, "passed", proof, False, None))
    built = builder.build({8: "李四"})
    (proof_finding,) = [f for f in built.total.findings if f.clause == "proof"]
    assert (proof_finding.key, proof_finding.params) == ("proof_demands", {"proof_demands": 1})
    assert CATALOGS.text("report.clause.proof", "zh-Hans") in render_text(
        built, CATALOGS, "zh-Hans"
    )
