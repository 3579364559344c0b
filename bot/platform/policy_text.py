"""A group's rules and times put into words from the catalogs: /policy, the intro, notices."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytz

from bot.platform.i18n import Catalogs, holiday_label
from policies.calendar import QuietReason, holiday_data_covers, next_quiet_start, quiet_status
from policies.group_policy import GroupPolicy

# Weekday names come from CLDR by date; the catalogs choose the width (周一, Monday).
_A_MONDAY = date(2024, 1, 1)


def when_text(catalogs: Catalogs, lang: str, instant: datetime, zone: str, now: datetime) -> str:
    """`instant` as a reader in `zone` says it: 今天 08:00, 明天 08:00 or 11月23日(周一)08:00."""
    tz = pytz.timezone(zone)
    local, today = instant.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return catalogs.text("datetime.today", lang, when=local)
    if local.date() == today + timedelta(days=1):
        return catalogs.text("datetime.tomorrow", lang, when=local)
    return catalogs.text("datetime.date", lang, when=local)


def joined(catalogs: Catalogs, lang: str, items: list[str]) -> str:
    return catalogs.text("list.separator", lang).join(items)


def weekdays_text(catalogs: Catalogs, lang: str, days: frozenset[int]) -> str:
    """Weekdays (0 is Monday) by their names in `lang`: 周六、周日 or Saturday, Sunday."""
    dates = [_A_MONDAY + timedelta(days=d) for d in sorted(days)]
    return joined(catalogs, lang, [catalogs.text("weekday.name", lang, day=d) for d in dates])


def windows_text(policy: GroupPolicy) -> str:
    return " ".join(str(window) for window in policy.quiet_windows)


def reason_text(
    catalogs: Catalogs, lang: str, policy: GroupPolicy, reason: str, holiday: str | None
) -> str:
    """Why it is quiet: quiet hours (which), a rest day, or which holiday."""
    if reason == QuietReason.HOLIDAY and holiday:
        name = holiday_label(catalogs, holiday, lang)
        return catalogs.text("hold.reason.holiday", lang, holiday=name)
    if reason in (QuietReason.REST_DAY, QuietReason.EXTRA_REST_DATE):
        return catalogs.text(f"hold.reason.{reason}", lang)
    return catalogs.text("hold.reason.quiet_hours", lang, window=windows_text(policy))


def calendar_text(catalogs: Catalogs, lang: str, code: str) -> str:
    """A holiday calendar's name: China's with 调休, none, or a country's code."""
    if code in ("cn", "none"):
        return catalogs.text(f"policy.calendar.{code}", lang)
    return catalogs.text("policy.calendar.country", lang, code=code)


def rule_lines(catalogs: Catalogs, lang: str, policy: GroupPolicy) -> list[str]:
    """The effective rules, one line each."""
    text = catalogs.text
    calendar = calendar_text(catalogs, lang, policy.holiday_calendar)
    return [
        text("policy.line.timezone", lang, timezone=policy.timezone),
        text("policy.line.quiet_hours", lang, windows=windows_text(policy))
        if policy.quiet_windows
        else text("policy.line.no_quiet_hours", lang),
        text("policy.line.rest_days", lang, days=weekdays_text(catalogs, lang, policy.rest_days))
        if policy.rest_days
        else text("policy.line.no_rest_days", lang),
        text("policy.line.holidays", lang, calendar=calendar),
        text(
            "policy.line.urgent",
            lang,
            markers=joined(catalogs, lang, list(policy.urgent_markers[:3])),
            quota=policy.urgent_quota_per_week,
        ),
        text("policy.line.mode", lang, mode=text(f"policy.mode.{policy.mode}", lang)),
        text(
            "policy.line.digest",
            lang,
            mode=text(f"policy.digest.{policy.digest}", lang),
            times=" ".join(f"{at:%H:%M}" for at in policy.digest_times),
        ),
        text("duplicates.policy_on" if policy.duplicates else "duplicates.policy_off", lang),
    ]


def policy_report(
    catalogs: Catalogs, lang: str, policy: GroupPolicy, title: str, now: datetime
) -> str:
    """/policy's answer: the rules, whether it is quiet now, and the next quiet period."""
    lines = [catalogs.text("policy.header", lang, group=title), *rule_lines(catalogs, lang, policy)]
    status = quiet_status(policy, now)
    if status.quiet and status.resumes_at is not None:
        until = when_text(catalogs, lang, status.resumes_at, policy.timezone, now)
        lines.append(catalogs.text("policy.quiet_now", lang, until=until))
    else:
        start = next_quiet_start(policy, now)
        if start is not None:
            when = when_text(catalogs, lang, start, policy.timezone, now)
            lines.append(catalogs.text("policy.next_quiet", lang, start=when))
    year = now.astimezone(pytz.timezone(policy.timezone)).year
    if not holiday_data_covers(policy, year):
        lines.append(catalogs.text("policy.calendar_unknown", lang, year=year))
    return "\n".join(lines)
