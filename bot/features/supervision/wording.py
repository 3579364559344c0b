"""A report's figures, headings and findings in the reader's language, shared by every rendering."""

from __future__ import annotations

from dataclasses import dataclass

from bot.platform.i18n import Catalogs
from bot.platform.policy_text import rule_lines
from policies.group_policy import WEEKDAY_NAMES
from policies.supervision import MIN_GROUP_SIZE, Counts, Finding, GroupReport, Report, Source

# The figures shown for every group, in order; "held" reads "would hold" for an export.
_FIGURES = (
    "messages",
    "after_hours",
    "quiet_hours",
    "rest_days",
    "holidays",
    "held",
    "released",
    "urgent",
    "urgent_passed",
    "urgent_no_reason",
    "urgent_over_quota",
    "reply_demands",
    "instant_reply_demands",
    "acks",
    "acks_absorbed",
    "notifications_saved",
    "rollcalls",
    "rollcall_reposts_merged",
    "data_requests",
    "duplicate_requests",
    "proof_demands",
)
_LOG_ONLY = frozenset({"released"})
_SUBORDINATE = frozenset({"quiet_hours", "rest_days", "holidays"})


@dataclass(frozen=True, slots=True)
class Figure:
    label: str
    value: str
    subordinate: bool  # a part of the figure above it


class Wording:
    """The words of one report in one language."""

    def __init__(self, catalogs: Catalogs, lang: str, report: Report) -> None:
        self.catalogs, self.lang, self.report = catalogs, lang, report

    def text(self, key: str, **params: object) -> str:
        return self.catalogs.text(f"report.{key}", self.lang, **params)

    @property
    def title(self) -> str:
        return self.text("title_log" if self.report.source is Source.LOG else "title_export")

    @property
    def period(self) -> str:
        report = self.report
        return self.text("period", since=report.since, until=report.until, days=report.days)

    @property
    def source(self) -> str:
        return self.text("source_log" if self.report.source is Source.LOG else "source_export")

    def heading(self, group: GroupReport) -> str:
        if group.info is None:
            return self.text("total", groups=len(self.report.groups))
        return self.text("group", title=group.info.title or str(group.info.chat_id))

    def members(self, group: GroupReport) -> str | None:
        if group.members is None:
            return None
        if group.members < MIN_GROUP_SIZE:
            return self.text("members_hidden", minimum=MIN_GROUP_SIZE)
        return self.text("members", members=group.members)

    def definition(self, group: GroupReport) -> list[str]:
        """What after hours means for the group: its zone, quiet hours, rest days, holidays."""
        if group.info is None:
            return []
        return [
            self.text("definition"),
            *rule_lines(self.catalogs, self.lang, group.info.policy)[:4],
        ]

    def figures(self, group: GroupReport) -> list[Figure]:
        counts: Counts = group.counts
        shown = []
        for name in _FIGURES:
            if name in _LOG_ONLY and self.report.source is not Source.LOG:
                continue
            if name == "notifications_saved":
                if group.notifications_saved is None:
                    continue
                value = group.notifications_saved
            else:
                value = getattr(counts, name)
            key = "would_hold" if name == "held" and self.report.source is Source.EXPORT else name
            shown.append(Figure(self.text(f"figure.{key}"), f"{value:,}", name in _SUBORDINATE))
        return shown

    def clause(self, finding: Finding) -> str:
        return self.text(f"clause.{finding.clause}")

    def finding(self, finding: Finding) -> str:
        return self.text(
            f"finding.{finding.key}", **{k: f"{v:,}" for k, v in finding.params.items()}
        )

    def findings_by_clause(self, group: GroupReport) -> list[tuple[str, list[str]]]:
        """Each clause quoted, with the findings under it."""
        clauses: dict[str, list[str]] = {}
        for finding in group.findings:
            clauses.setdefault(self.clause(finding), []).append(self.finding(finding))
        return list(clauses.items())

    def sender_name(self, sender_id: int | None, name: str) -> str:
        if sender_id is None:
            return self.text("deleted_account")
        return name or str(sender_id)

    def weekday(self, index: int) -> str:
        return self.catalogs.text(f"weekday.{WEEKDAY_NAMES[index]}", self.lang)
