"""Inline SVG charts for the HTML report: no script, no external resource, scaled to the screen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from policies.supervision import WeekStats

_CELL = 14
_CHART_WIDTH = 24 * _CELL  # the hours chart's width
_LABEL = 34
_ORANGE = "#e8710a"
_BLUE = "#4a7bd0"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def heatmap_svg(heatmap: Sequence[Sequence[int]], weekday: Callable[[int], str], title: str) -> str:
    """Weekday rows by hour columns; the darker the cell, the more messages."""
    peak = max((value for row in heatmap for value in row), default=0) or 1
    width, height = _LABEL + 24 * _CELL, 16 + 7 * _CELL
    body = [
        f'<text x="{_LABEL + hour * _CELL + _CELL / 2}" y="11" font-size="8" '
        f'text-anchor="middle">{hour}</text>'
        for hour in range(0, 24, 3)
    ]
    for day, row in enumerate(heatmap):
        y = 16 + day * _CELL
        body.append(
            f'<text x="{_LABEL - 4}" y="{y + 10}" font-size="9" text-anchor="end">'
            f"{escape(weekday(day))}</text>"
        )
        for hour, value in enumerate(row):
            x = _LABEL + hour * _CELL
            opacity = 0.08 + 0.92 * value / peak if value else 0.04
            body.append(
                f'<rect x="{x}" y="{y}" width="{_CELL - 1}" height="{_CELL - 1}" '
                f'fill="{_ORANGE}" fill-opacity="{opacity:.2f}"><title>{value}</title></rect>'
            )
            if value:
                body.append(
                    f'<text x="{x + _CELL / 2 - 0.5}" y="{y + 9.5}" font-size="6" '
                    f'text-anchor="middle">{value if value < 1000 else "1k+"}</text>'
                )
    return _svg(width, height, body, title)


def hours_svg(hours: Sequence[int], title: str) -> str:
    """Bars of after-hours messages by hour of day."""
    peak = max(hours, default=0) or 1
    width, height, top = 24 * _CELL, 90, 6
    body = []
    for hour, value in enumerate(hours):
        bar = 70 * value / peak
        x = hour * _CELL
        body.append(
            f'<rect x="{x + 1}" y="{top + 70 - bar:.1f}" width="{_CELL - 2}" height="{bar:.1f}" '
            f'fill="{_ORANGE}"><title>{hour}: {value}</title></rect>'
        )
        if hour % 3 == 0:
            body.append(
                f'<text x="{x + _CELL / 2}" y="{height - 4}" font-size="8" '
                f'text-anchor="middle">{hour}</text>'
            )
    return _svg(width, height, body, title)


def weeks_svg(weeks: Sequence[WeekStats], title: str) -> str:
    """Each week's messages (blue) and after-hours messages (orange) side by side."""
    shown = list(weeks)[-52:]
    peak = max((w.messages for w in shown), default=0) or 1
    # As wide as the other charts whatever the number of weeks, so that text keeps its size.
    step = max(8, min(84, _CHART_WIDTH // max(len(shown), 1)))
    width, height, top = max(step * len(shown), _CHART_WIDTH), 110, 6
    body = []
    for index, week in enumerate(shown):
        x = index * step
        for offset, value, colour in ((0, week.messages, _BLUE), (1, week.after_hours, _ORANGE)):
            bar = 80 * value / peak
            body.append(
                f'<rect x="{x + 1 + offset * (step - 2) / 2:.1f}" y="{top + 80 - bar:.1f}" '
                f'width="{(step - 2) / 2:.1f}" height="{bar:.1f}" fill="{colour}">'
                f"<title>{week.monday.isoformat()}: {value}</title></rect>"
            )
        if index % max(1, len(shown) // 6) == 0:
            body.append(f'<text x="{x}" y="{height - 6}" font-size="8">{week.monday:%m-%d}</text>')
    return _svg(width, height, body, title)
