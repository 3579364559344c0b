"""What the holiday packages say about one date: rest, make-up workday, or nothing.

China ("cn") comes from chinesecalendar, transcribed each year from the State Council notice:
holidays and 调休 make-up workdays for 2004-2026, and NotImplementedError for any other year,
so an unpublished year is detected. The `holidays` package (0.108) also knows the 2026 make-up
workdays (`weekend_workdays`), but it projects 2027-2100 from rules without 调休 and without
saying so, so it cannot tell "not yet published"; it serves every other country instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import chinese_calendar

CHINA = "cn"
NO_HOLIDAYS = "none"


@dataclass(frozen=True, slots=True)
class HolidayFact:
    """The data's word on a date: rest (a holiday), work (a make-up workday), or silence."""

    rest: bool | None  # None: an ordinary day, the group's rest days decide
    name: str | None
    known: bool  # False: the data does not cover this date at all


_ORDINARY = HolidayFact(rest=None, name=None, known=True)
_UNKNOWN = HolidayFact(rest=None, name=None, known=False)


def supported_holiday_calendar(code: str) -> bool:
    """Whether `code` names a calendar this module can read ("cn", "none", "US", "US-CA" …)."""
    if code.lower() in (CHINA, NO_HOLIDAYS):
        return True
    try:
        _country_year(code.upper(), 2000)
    except ValueError:
        return False
    return True


def holiday_fact(code: str, day: date) -> HolidayFact:
    """What calendar `code` says about `day`; ValueError for an unsupported code."""
    kind = code.lower()
    if kind == NO_HOLIDAYS:
        return _ORDINARY
    if kind == CHINA:
        return _china_fact(day)
    return _country_fact(code.upper(), day)


@lru_cache(maxsize=256)
def calendar_covers_year(code: str, year: int) -> bool:
    """Whether calendar `code` has data for `year` (False: fall back to weekdays)."""
    kind = code.lower()
    if kind == NO_HOLIDAYS:
        return True
    if kind == CHINA:
        return _china_fact(date(year, 1, 1)).known
    entity = _country_year(code.upper(), year)
    return bool(entity.start_year <= year <= entity.end_year)


@lru_cache(maxsize=4096)
def _china_fact(day: date) -> HolidayFact:
    try:
        is_rest, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return _UNKNOWN
    if name is None:
        return _ORDINARY
    return HolidayFact(rest=bool(is_rest), name=str(name), known=True)


def _country_fact(code: str, day: date) -> HolidayFact:
    entity = _country_year(code, day.year)
    if not entity.start_year <= day.year <= entity.end_year:
        return _UNKNOWN
    name = entity.get(day)
    if name is not None:
        return HolidayFact(rest=True, name=str(name), known=True)
    if day in entity.weekend_workdays:
        return HolidayFact(rest=False, name=None, known=True)
    return _ORDINARY


@lru_cache(maxsize=256)
def _country_year(code: str, year: int) -> Any:
    """The `holidays` entity for "CC" or "CC-SUBDIV", populated for one year."""
    # Imported here: most groups use "cn" or "none", and the package takes a while to import.
    import holidays

    country, _, subdivision = code.partition("-")
    try:
        return holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError as error:
        raise ValueError(
            f"unknown holiday calendar {code!r}: use 'cn', 'none' or an ISO country code"
            " the holidays package supports (e.g. 'US', 'DE', 'US-CA')"
        ) from error
