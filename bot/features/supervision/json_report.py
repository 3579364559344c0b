"""A report as one JSON object: the figures by their field names, for other programs."""

from __future__ import annotations

import dataclasses
from typing import Any

from policies.supervision import GroupReport, Report, Source


def report_json(report: Report) -> dict[str, Any]:
    """The totals at the top level (the fields `jianfu audit --format json` documents), then
    each group with the same fields."""
    return {
        "source": str(report.source),
        "since": report.since.isoformat(),
        "until": report.until.isoformat(),
        **_group(report, report.total),
        "groups": [_group(report, group) for group in report.groups],
    }


def _group(report: Report, group: GroupReport) -> dict[str, Any]:
    counts = dataclasses.asdict(group.counts)
    if report.source is Source.EXPORT:
        counts["would_hold"] = counts.pop("held")
        del counts["released"]
    head: dict[str, Any] = {}
    if group.info is not None:
        head = {
            "chat_id": group.info.chat_id,
            "title": group.info.title,
            "timezone": group.info.policy.timezone,
        }
    return {
        **head,
        **counts,
        "members": group.members,
        "notifications_saved": group.notifications_saved,
        "after_hours_days": group.after_hours_days,
        "senders": [
            {"id": s.id, "name": s.name, "messages": s.messages, "after_hours": s.after_hours}
            for s in group.senders
        ],
        "hours": list(group.hours),
        "heatmap": [list(row) for row in group.heatmap],
        "weeks": [
            {
                "monday": w.monday.isoformat(),
                "messages": w.messages,
                "after_hours": w.after_hours,
                "held": w.held,
            }
            for w in group.weeks
        ],
        "urgent_passes": [
            {
                "chat_id": u.chat_id,
                "sender_id": u.sender_id,
                "sent_at": u.sent_at.isoformat(),
                "reason": u.reason,
            }
            for u in group.urgent_passes
        ],
        "findings": [
            {"clause": str(f.clause), "key": f.key, **dict(f.params)} for f in group.findings
        ],
    }
