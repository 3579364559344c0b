"""The settings menu's registry: one Row per setting, in the order the menu shows them.

A row has a stable `code` (its place in button data: never reuse one), what its state button
shows, and what pressing it does: a toggle, a step down or up, a view of options to choose
from, or a value the admin types (read by a policy command's Parser). Adding a setting to the
menu is adding one entry to ROWS, with its label (settings.row.KEY) and explanation
(settings.help.KEY) in the catalogs, and settings.prompt.KEY when it is typed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.features.policy.commands import Change, Parser, quiet_change
from bot.platform.i18n import LANGUAGES, Catalogs
from bot.platform.policy_text import calendar_text, joined, weekdays_text
from policies.features.settings import (
    ROW_SLOTS,
    is_clear,
    read_dates,
    read_times,
    read_user_ids,
    stepped,
    toggled,
)
from policies.group_policy import WEEKDAY_NAMES, DigestMode, GroupPolicy, Mode, parse_quiet_window

Shows = Callable[[Catalogs, str, GroupPolicy], str]
"""What a row's state button says about the policy, in a language."""


@dataclass(frozen=True, slots=True)
class Option:
    """One choice in a row's view: its label, whether the policy has it, the policy chosen."""

    label: str
    chosen: bool
    policy: GroupPolicy


Options = Callable[[Catalogs, str, GroupPolicy], Sequence[Option]]


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    code: int
    shows: Shows
    toggle: Callable[[GroupPolicy], GroupPolicy] | None = None
    step: Callable[[GroupPolicy, bool], GroupPolicy] | None = None
    options: Options | None = None
    entry: Parser | None = None
    stays_open: bool = False
    """After a choice the view stays open (toggles such as the weekdays)."""
    names_users: bool = False
    """Typed @usernames the bot knows stand for those people's ids."""

    @property
    def label_key(self) -> str:
        return f"settings.row.{self.key}"

    @property
    def help_key(self) -> str:
        return f"settings.help.{self.key}"

    @property
    def prompt_key(self) -> str:
        return f"settings.prompt.{self.key}"


def _with(policy: GroupPolicy, field: str, value: Any) -> GroupPolicy:
    changes: dict[str, Any] = {field: value}
    return dataclasses.replace(policy, **changes)


def _on_off(catalogs: Catalogs, lang: str, on: bool) -> str:
    return catalogs.text("settings.on" if on else "settings.off", lang)


def _none_or(catalogs: Catalogs, lang: str, text: str) -> str:
    return text or catalogs.text("settings.none", lang)


def toggle_row(key: str, code: int, field: str) -> Row:
    """A yes/no setting, flipped by its state button."""

    def flip(policy: GroupPolicy) -> GroupPolicy:
        return _with(policy, field, not getattr(policy, field))

    return Row(key, code, lambda c, lang, p: _on_off(c, lang, getattr(p, field)), toggle=flip)


def number_row(key: str, code: int, field: str, shows: Shows, ladder: Sequence[int] = ()) -> Row:
    """A number stepped with − and + (by one, or along `ladder`)."""

    def step(policy: GroupPolicy, up: bool) -> GroupPolicy:
        return _with(policy, field, stepped(getattr(policy, field), up, ladder))

    return Row(key, code, shows, step=step)


def choice_row(
    key: str,
    code: int,
    field: str,
    values: Sequence[Any],
    label: Callable[[Catalogs, str, Any], str],
    entry: Parser | None = None,
) -> Row:
    """One value of `values` chosen in the row's view (and, with `entry`, a typed one)."""

    def options(catalogs: Catalogs, lang: str, policy: GroupPolicy) -> list[Option]:
        return [
            Option(
                label(catalogs, lang, value),
                getattr(policy, field) == value,
                _with(policy, field, value),
            )
            for value in values
        ]

    def shows(catalogs: Catalogs, lang: str, policy: GroupPolicy) -> str:
        return _none_or(catalogs, lang, label(catalogs, lang, getattr(policy, field)))

    return Row(key, code, shows, options=options, entry=entry)


def enum_row(key: str, code: int, field: str, enum: type[StrEnum], family: str) -> Row:
    """A choice among an enum's values, each named by the catalog's `family`.VALUE."""
    return choice_row(
        key, code, field, list(enum), lambda c, lang, value: c.text(f"{family}.{value}", lang)
    )


# ---- typed values (the quiet hours' parser is /quiet's) ------------------------------------


def dates_change(field: str) -> Parser:
    def change(policy: GroupPolicy, args: Sequence[str]) -> Change:
        days = frozenset() if is_clear(args) else read_dates(args)
        if isinstance(days, str):
            return Change(None, "settings.bad_date", {"value": days})
        return Change(_with(policy, field, days))

    return change


def times_change(policy: GroupPolicy, args: Sequence[str]) -> Change:
    times = () if is_clear(args) else read_times(args)
    if isinstance(times, str):
        return Change(None, "settings.bad_time", {"value": times})
    return Change(dataclasses.replace(policy, digest_times=times))


def markers_change(policy: GroupPolicy, args: Sequence[str]) -> Change:
    if not args or is_clear(args):
        return Change(None, "policy.error.empty_marker")
    return Change(dataclasses.replace(policy, urgent_markers=tuple(dict.fromkeys(args))))


def users_change(policy: GroupPolicy, args: Sequence[str]) -> Change:
    """User ids (the menu puts known @usernames' ids in their place first)."""
    ids = frozenset() if is_clear(args) else read_user_ids(args)
    if isinstance(ids, str):
        return Change(None, "settings.bad_user", {"value": ids})
    return Change(dataclasses.replace(policy, exempt_user_ids=ids))


# ---- what the rows show ---------------------------------------------------------------------


def _dates_text(field: str) -> Shows:
    def shows(catalogs: Catalogs, lang: str, policy: GroupPolicy) -> str:
        days = sorted(getattr(policy, field))
        if len(days) > 2:
            return catalogs.text("settings.dates", lang, count=len(days), first=str(days[0]))
        return _none_or(catalogs, lang, joined(catalogs, lang, [str(d) for d in days]))

    return shows


def _window_minutes_text(catalogs: Catalogs, lang: str, policy: GroupPolicy) -> str:
    minutes = policy.ack_window_minutes
    if minutes % 60:
        return catalogs.text("settings.minutes", lang, count=minutes)
    return catalogs.text("settings.hours", lang, count=minutes // 60)


def _weekday_options(catalogs: Catalogs, lang: str, policy: GroupPolicy) -> list[Option]:
    return [
        Option(
            weekdays_text(catalogs, lang, frozenset({day})),
            day in policy.rest_days,
            dataclasses.replace(policy, rest_days=toggled(policy.rest_days, day)),
        )
        for day in range(len(WEEKDAY_NAMES))
    ]


QUIET_PRESETS = tuple(
    tuple(w for w in (parse_quiet_window(t) for t in preset.split()) if w is not None)
    for preset in ("21:00-08:00", "22:00-07:00", "20:00-08:00", "12:00-14:00 21:00-08:00")
)
DIGEST_PRESETS = tuple(
    tuple(t for t in read_times(preset.split()) if not isinstance(t, str))
    for preset in ("08:30", "09:00", "08:30 14:30", "17:30")
)
HOLIDAY_CALENDARS = ("cn", "HK", "MO", "TW", "none")
ACK_WINDOW_LADDER = (60, 120, 240, 480, 720, 1440, 2880, 4320, 10080)

ROWS: tuple[Row, ...] = (
    choice_row(
        "quiet_hours",
        1,
        "quiet_windows",
        QUIET_PRESETS,
        lambda c, lang, windows: " ".join(str(w) for w in windows),
        entry=quiet_change,
    ),
    Row(
        "rest_days",
        2,
        lambda c, lang, p: _none_or(c, lang, weekdays_text(c, lang, p.rest_days)),
        options=_weekday_options,
        stays_open=True,
    ),
    choice_row("holidays", 3, "holiday_calendar", HOLIDAY_CALENDARS, calendar_text),
    Row(
        "extra_rest_dates",
        4,
        _dates_text("extra_rest_dates"),
        entry=dates_change("extra_rest_dates"),
    ),
    Row("extra_workdays", 5, _dates_text("extra_workdays"), entry=dates_change("extra_workdays")),
    enum_row("mode", 6, "mode", Mode, "policy.mode"),
    number_row(
        "urgent_quota",
        7,
        "urgent_quota_per_week",
        lambda c, lang, p: c.text("settings.quota", lang, count=p.urgent_quota_per_week),
    ),
    Row(
        "urgent_markers",
        8,
        lambda c, lang, p: (
            joined(c, lang, list(p.urgent_markers[:2])) + ("…" if len(p.urgent_markers) > 2 else "")
        ),
        entry=markers_change,
    ),
    toggle_row("admins_exempt", 9, "admins_exempt"),
    Row(
        "exempt_users",
        10,
        lambda c, lang, p: c.text("settings.people", lang, count=len(p.exempt_user_ids)),
        entry=users_change,
        names_users=True,
    ),
    number_row(
        "ack_window", 11, "ack_window_minutes", _window_minutes_text, ladder=ACK_WINDOW_LADDER
    ),
    toggle_row("stray_acks", 12, "absorb_stray_acks"),
    choice_row(
        "digest_times",
        13,
        "digest_times",
        DIGEST_PRESETS,
        lambda c, lang, times: " ".join(f"{t:%H:%M}" for t in times),
        entry=times_change,
    ),
    choice_row(
        "language",
        14,
        "language",
        LANGUAGES,
        lambda c, lang, value: c.text(f"language.{value}", lang),
    ),
    toggle_row("duplicates", 15, "duplicates"),
    enum_row("digest", 16, "digest", DigestMode, "policy.digest"),
)


def rows_by_code(rows: Sequence[Row]) -> dict[int, Row]:
    """The rows by code, refusing a registry whose codes clash or do not fit button data."""
    found: dict[int, Row] = {}
    for row in rows:
        if not 1 <= row.code < ROW_SLOTS or row.code in found:
            raise ValueError(f"settings row {row.key}: code {row.code} is taken or out of range")
        found[row.code] = row
    return found
