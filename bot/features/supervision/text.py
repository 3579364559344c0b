"""A report as plain text: for the terminal, and for a chat message."""

from __future__ import annotations

import pytz

from bot.features.supervision.wording import Wording
from bot.platform.i18n import Catalogs
from policies.supervision import GroupReport, Report

LIST_LIMIT = 10
WEEKS_SHOWN = 8
REASON_CHARS = 60


def render_text(report: Report, catalogs: Catalogs, lang: str) -> str:
    """The whole report: totals first, then each group when there are several."""
    words = Wording(catalogs, lang, report)
    lines = [words.title, words.period, words.source]
    if not report.groups:
        return "\n".join([*lines, "", words.text("empty")]) + "\n"
    sections = [report.total] if len(report.groups) > 1 else []
    sections.extend(report.groups)
    for group in sections:
        lines.append("")
        lines.extend(_section(words, group))
    return "\n".join(lines) + "\n"


def _section(words: Wording, group: GroupReport) -> list[str]:
    lines = [f"【{words.heading(group)}】"]
    members = words.members(group)
    if members:
        lines.append(members)
    lines.extend(words.definition(group))
    lines.append(words.text("figures"))
    for figure in words.figures(group):
        indent = "    " if figure.subordinate else "  "
        lines.append(f"{indent}{figure.label}:{figure.value}")
    lines.append(words.text("findings"))
    for clause, found in words.findings_by_clause(group):
        lines.append(f"  {clause}")
        lines.extend(f"    · {line}" for line in found)
    lines.extend(_senders(words, group))
    lines.extend(_urgent_passes(words, group))
    lines.extend(_weeks(words, group))
    return lines


def _senders(words: Wording, group: GroupReport) -> list[str]:
    senders = [s for s in group.senders if s.after_hours]
    lines = [words.text("senders")]
    for sender in senders[:LIST_LIMIT]:
        name = words.sender_name(sender.id, sender.name)
        lines.append(
            "  "
            + words.text(
                "sender_line", name=name, after_hours=sender.after_hours, messages=sender.messages
            )
        )
    if not senders:
        lines.append("  " + words.text("no_senders"))
    elif len(senders) > LIST_LIMIT:
        lines.append("  " + words.text("more", count=len(senders) - LIST_LIMIT))
    return lines


def _urgent_passes(words: Wording, group: GroupReport) -> list[str]:
    if not group.urgent_passes:
        return []
    zone = pytz.timezone(group.info.policy.timezone if group.info else "UTC")
    names = {s.id: s.name for s in group.senders}
    lines = [words.text("urgent_passes")]
    for urgent in group.urgent_passes[-LIST_LIMIT:]:
        name = words.sender_name(urgent.sender_id, names.get(urgent.sender_id, ""))
        at = urgent.sent_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        reason = _one_line(urgent.reason, REASON_CHARS)
        lines.append("  " + words.text("urgent_line", time=at, name=name, reason=reason))
    passes = group.counts.urgent_passed
    if passes > LIST_LIMIT:
        lines.append("  " + words.text("more", count=passes - LIST_LIMIT))
    return lines


def _weeks(words: Wording, group: GroupReport) -> list[str]:
    if len(group.weeks) < 2:
        return []
    lines = [words.text("weekly")]
    for week in group.weeks[-WEEKS_SHOWN:]:
        lines.append(
            "  "
            + words.text(
                "week_line",
                monday=week.monday,
                messages=week.messages,
                after_hours=week.after_hours,
                held=week.held,
            )
        )
    return lines


def _one_line(text: str, limit: int) -> str:
    """The first line of `text`, cut to `limit` characters (the files have it whole)."""
    first = text.strip().split("\n", 1)[0]
    return first if len(first) <= limit and first == text.strip() else first[:limit] + "…"
