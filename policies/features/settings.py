"""The settings menu's pure rules: what a button's data says, how a number steps, and how a
typed value (dates, times, markers, user ids) is read. Which settings there are is the bot's
registry (bot/features/settings/rows.py); what a new policy may be is policies.group_policy's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from policies.group_policy import parse_hhmm

ROW_SLOTS = 100
"""Rows a menu may have; a row's code is below it and never reused for another setting."""
ARG_SLOTS = 100
"""What a press on a row may mean: the label, the state, −, +, back, or an option."""
LABEL, STATE, MINUS, PLUS, BACK, CUSTOM = 0, 1, 2, 3, 4, 5
OPTION = 10
"""Option i of a row's view is OPTION + i."""
MAX_OPTIONS = ARG_SLOTS - OPTION
MAX_MENU_ID = 10**18 // (ROW_SLOTS * ARG_SLOTS) - 1
"""Button data is "kind:number" with at most 18 digits: 64 bytes with room to spare."""
CLEAR_WORDS = frozenset({"-", "none", "无", "無"})
"""A typed value that empties a list setting."""


@dataclass(frozen=True, slots=True)
class MenuPress:
    """What a settings button's number names: a menu, one of its rows, and what on that row."""

    menu_id: int
    row: int
    arg: int


def press_number(menu_id: int, row: int, arg: int) -> int:
    """The number a settings button carries."""
    if not (1 <= menu_id <= MAX_MENU_ID and 0 <= row < ROW_SLOTS and 0 <= arg < ARG_SLOTS):
        raise ValueError(f"no button number for menu {menu_id}, row {row}, arg {arg}")
    return (menu_id * ROW_SLOTS + row) * ARG_SLOTS + arg


def read_press(number: int) -> MenuPress | None:
    """The press a button's number names, or None for a number no button carries."""
    rest, arg = divmod(number, ARG_SLOTS)
    menu_id, row = divmod(rest, ROW_SLOTS)
    return MenuPress(menu_id, row, arg) if menu_id >= 1 else None


def stepped(value: int, up: bool, ladder: Sequence[int] = ()) -> int:
    """The next value up or down: by one, or along `ladder` (ascending). Beyond its ends a
    step leaves the ladder (below: 0, above: twice the top), for validation to refuse."""
    if not ladder:
        return value + (1 if up else -1)
    if up:
        return next((v for v in ladder if v > value), ladder[-1] * 2)
    return next((v for v in reversed(ladder) if v < value), 0)


def toggled(days: frozenset[int], day: int) -> frozenset[int]:
    return days - {day} if day in days else days | {day}


def is_clear(args: Sequence[str]) -> bool:
    """Whether typed words ask to empty a list ("-", "none", "无")."""
    return len(args) == 1 and args[0].strip().lower() in CLEAR_WORDS


def words(text: str) -> tuple[str, ...]:
    """A typed value's words: split at spaces, commas and 、."""
    for separator in (",", "，", "、", ";", "；"):
        text = text.replace(separator, " ")
    return tuple(text.split())


def read_dates(args: Sequence[str]) -> frozenset[date] | str:
    """ISO dates (2026-12-24), or the first word that is not one."""
    days = set()
    for arg in args:
        try:
            days.add(date.fromisoformat(arg))
        except ValueError:
            return arg
    return frozenset(days)


def read_times(args: Sequence[str]) -> tuple[time, ...] | str:
    """Times of day ("HH:MM"), sorted, or the first word that is not one."""
    times = set()
    for arg in args:
        parsed = parse_hhmm(arg)
        if parsed is None:
            return arg
        times.add(parsed)
    return tuple(sorted(times))


def read_user_ids(args: Sequence[str]) -> frozenset[int] | str:
    """Telegram user ids, or the first word that is not one."""
    ids = set()
    for arg in args:
        if not arg.isdigit() or int(arg) == 0:
            return arg
        ids.add(int(arg))
    return frozenset(ids)
