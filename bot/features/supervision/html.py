"""A report as one self-contained HTML file: inline style and SVG charts, readable on a phone,
in the reader's language, with no external URL anywhere (none of its own, none from a message)."""

from __future__ import annotations

import re
from html import escape

import pytz

from bot.features.supervision.charts import heatmap_svg, hours_svg, weeks_svg
from bot.features.supervision.wording import Wording
from bot.platform.i18n import Catalogs
from policies.supervision import GroupReport, Report

LIST_LIMIT = 50
_STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
margin:0;background:#f6f7f9;color:#1d2430}
main{max-width:760px;margin:0 auto;padding:12px}
section{background:#fff;border-radius:10px;padding:12px 14px;margin:12px 0;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h1{font-size:1.3em;margin:.4em 0}h2{font-size:1.12em;margin:.2em 0 .5em}
h3{font-size:1em;margin:1em 0 .3em;color:#44506a}
table{border-collapse:collapse;width:100%}td{padding:3px 4px;border-bottom:1px solid #eef0f3}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.sub td:first-child{padding-left:1.4em;color:#5a6478}
blockquote{margin:.6em 0 .2em;padding:.2em .7em;border-left:4px solid #e8710a;
background:#fff7ef;font-weight:600}
ul{margin:.2em 0;padding-left:1.3em}.muted{color:#5a6478;font-size:.92em}
svg{display:block;max-width:100%;height:auto;margin:.3em 0}svg text{fill:#44506a}
"""
# Text from messages may hold addresses; the report names none, so they are defanged.
_ADDRESS = re.compile(r"(?i)(://|www\.)")


def _safe(value: str) -> str:
    return escape(_ADDRESS.sub(lambda m: "[:]//" if m[0] == "://" else "www[.]", value))


def render_html(report: Report, catalogs: Catalogs, lang: str) -> str:
    words = Wording(catalogs, lang, report)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(lang)}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_safe(words.title)}</title><style>{_STYLE}</style></head><body><main>",
        f"<h1>{_safe(words.title)}</h1>",
        f'<p class="muted">{_safe(words.period)}<br>{_safe(words.source)}</p>',
    ]
    if not report.groups:
        parts.append(f"<section><p>{_safe(words.text('empty'))}</p></section>")
    sections = [report.total] if len(report.groups) > 1 else []
    sections.extend(report.groups)
    parts.extend(_section(words, group) for group in sections)
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def _section(words: Wording, group: GroupReport) -> str:
    out = [f"<section><h2>{_safe(words.heading(group))}</h2>"]
    members = words.members(group)
    definition = words.definition(group)
    if members or definition:
        lines = [members] if members else []
        out.append(f'<p class="muted">{"<br>".join(_safe(x) for x in [*lines, *definition])}</p>')
    out.append(f"<h3>{_safe(words.text('figures'))}</h3><table>")
    for figure in words.figures(group):
        row_class = ' class="sub"' if figure.subordinate else ""
        out.append(
            f'<tr{row_class}><td>{_safe(figure.label)}</td><td class="n">{figure.value}</td></tr>'
        )
    out.append(f"</table><h3>{_safe(words.text('findings'))}</h3>")
    for clause, found in words.findings_by_clause(group):
        items = "".join(f"<li>{_safe(line)}</li>" for line in found)
        out.append(f"<blockquote>{_safe(clause)}</blockquote><ul>{items}</ul>")
    title = words.text("heatmap")
    out.append(f"<h3>{_safe(title)}</h3>{heatmap_svg(group.heatmap, words.weekday, title)}")
    out.append(f'<p class="muted">{_safe(words.text("heat_legend"))}</p>')
    title = words.text("hours")
    out.append(f"<h3>{_safe(title)}</h3>{hours_svg(group.hours, title)}")
    if len(group.weeks) > 1:
        title = words.text("weekly")
        out.append(f"<h3>{_safe(title)}</h3>{weeks_svg(group.weeks, title)}")
        out.append(f'<p class="muted">{_safe(words.text("week_legend"))}</p>')
    out.append(_senders(words, group))
    out.append(_urgent_passes(words, group))
    out.append("</section>")
    return "".join(out)


def _senders(words: Wording, group: GroupReport) -> str:
    senders = [s for s in group.senders if s.after_hours]
    rows = "".join(
        f"<tr><td>{_safe(words.sender_name(s.id, s.name))}</td>"
        f'<td class="n">{s.after_hours:,} / {s.messages:,}</td></tr>'
        for s in senders[:LIST_LIMIT]
    )
    more = (
        f'<p class="muted">{_safe(words.text("more", count=len(senders) - LIST_LIMIT))}</p>'
        if len(senders) > LIST_LIMIT
        else ""
    )
    body = (
        f"<table>{rows}</table>{more}" if senders else f"<p>{_safe(words.text('no_senders'))}</p>"
    )
    return f"<h3>{_safe(words.text('senders'))}</h3>{body}"


def _urgent_passes(words: Wording, group: GroupReport) -> str:
    if not group.urgent_passes:
        return ""
    zone = pytz.timezone(group.info.policy.timezone if group.info else "UTC")
    names = {s.id: s.name for s in group.senders}
    items = "".join(
        "<li>"
        + _safe(
            words.text(
                "urgent_line",
                time=u.sent_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                name=words.sender_name(u.sender_id, names.get(u.sender_id, "")),
                reason=u.reason,
            )
        )
        + "</li>"
        for u in group.urgent_passes[-LIST_LIMIT:]
    )
    return f"<h3>{_safe(words.text('urgent_passes'))}</h3><ul>{items}</ul>"
