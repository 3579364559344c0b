"""When a request is due: 3月15日前, 本周五, 20号前, 今晚8点, 明天上午10点前, 下班前, by Friday.

Phrases are read from normalized text and resolved against `now` in the zone of `now`; a phrase
that names only a day means the end of that day.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from policies.normalize import normalize

_END_OF_DAY = time(23, 59, 59)
_NUM = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})"
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_EN_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Named times of day, as the hour a task "before X" is due.
_NAMED_TIMES = {
    "下班": time(17, 30),
    "放学": time(16, 30),
    "中午": time(12, 0),
    "午饭": time(12, 0),
    "上午": time(12, 0),
    "傍晚": time(18, 0),
    "下午": time(18, 0),
    "晚上": _END_OF_DAY,
    "今晚": _END_OF_DAY,
    "晚": _END_OF_DAY,
}


def _clock_pattern(tag: str) -> str:
    """A clock time (下午3点半, 15:30, 8点) with group names ending in `tag`."""
    return (
        rf"(?P<period{tag}>上午|早上|早晨|早|中午|下午|傍晚|晚上|夜里|晚|凌晨)?"
        rf"(?:(?P<hour{tag}>{_NUM})(?:点|时)(?:(?P<minute{tag}>\d{{1,2}})分?|(?P<half{tag}>半))?"
        rf"|(?P<hh{tag}>\d{{1,2}}):(?P<mm{tag}>\d{{2}}))"
    )


_CHINESE = re.compile(
    r"(?:(?:"
    rf"(?:(?P<year>\d{{4}})年)?(?P<month>{_NUM})月(?:(?P<day>{_NUM})(?:日|号)|(?P<monthpart>底|末|中|初))"
    rf"|(?P<span>{_NUM}|半)(?P<unit>个?工作日|天|日|个?小时|分钟|周|个星期)(?:之内|内)"
    rf"|(?<![\d月])(?P<mday>{_NUM})(?:日|号)(?!楼|栋|线|院|文|床|室|箱|门|以后|后)"
    r"|(?P<week>本|这|下下|下)?(?:个)?(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天1-7])"
    r"|(?P<thismonth>本月|这个月|月)(?P<thispart>底|末|中)"
    r"|(?P<yearend>年底|年末|今年底)"
    r"|(?P<weekend>本周内|这周内|本周末|这周末|本周之内)"
    r"|(?P<dayword>今天|今日|今晚|今早|今夜|明天|明日|明早|明晚|后天|大后天)"
    r")"
    rf"(?P<at>\s*(?:{_clock_pattern('')}|(?P<named>下班|放学|中午|午饭|上午|傍晚|下午|晚上)))?"
    rf"|(?P<bare>(?:每天|每日)?(?:{_clock_pattern('2')}|(?P<named2>下班|放学|傍晚))))"
    r"(?P<cue>\s*(?:之前|以前|前|截止|为止|止|之内))?"
)
# Every phrase of _CHINESE starts with one of these characters.
_PHRASE_START = re.compile(r"[0-9一二两三四五六七八九十半本这下周星礼月年今明后大每上早中傍晚夜凌]")
_AS_OF = re.compile(r"(?:截至|截止到?目前)$")  # 截至10月底 is "as of", not a deadline
# Look no further than the longest phrase (2026年12月31日下午3点30分之前 is 22), so a long line
# costs linear work.
_AS_OF_CHARS = 5
_PHRASE_CHARS = 40
_ENGLISH = re.compile(
    r"\b(?:by|before|due|until)\s+(?:(?P<next>next|this)\s+)?"
    r"(?:(?P<enweekday>mon|tue|wed|thu|fri|sat|sun)[a-z]*"
    r"|(?P<enday>today|tonight|tomorrow|eod|end of (?:the )?day"
    r"|end of (?:the )?(?P<enspan>week|month))"
    r"|(?P<enmonth>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?P<endate>\d{1,2})"
    r"|(?P<enhour>\d{1,2})(?::(?P<enmin>\d{2}))?\s*(?P<ampm>am|pm))\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[^,。;!?\n]+")
_REQUEST_CLAUSE = re.compile(
    r"请|把|将|报|交|发|上传|汇总|填|提供|统计|给我|回复|完成|submit|send|fill"
)


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, units = text.partition("十")
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (
        _CN_DIGITS.get(units, 0) if units else 0
    )


def _at(local: date, moment: time, now: datetime) -> datetime:
    """The aware instant of local wall time `moment` on `local`, in the zone of `now`."""
    return _localized(local, moment, now.tzinfo)


@lru_cache(maxsize=1024)
def _localized(local: date, moment: time, tz: tzinfo | None) -> datetime:
    # pytz's localize is slow (it tries both sides of a DST change); the same day and hour recur.
    naive = datetime.combine(local, moment)
    localize = getattr(tz, "localize", None)
    if localize is not None:  # pytz zones must localize, never take tzinfo= directly
        result: datetime = localize(naive)
        return result
    return naive.replace(tzinfo=tz)


def _after(now: datetime, delta: timedelta) -> datetime:
    assert now.tzinfo is not None
    return (now.astimezone(UTC) + delta).astimezone(now.tzinfo)


def _clock(match: re.Match[str], tag: str, evening: bool = False) -> time | None:
    """The clock time matched by `_clock_pattern(tag)`; `evening` when the day word says 今晚."""
    if match[f"hour{tag}"] is None and match[f"hh{tag}"] is None:
        return None
    hour = _number(match[f"hour{tag}"]) if match[f"hour{tag}"] else int(match[f"hh{tag}"])
    minute = 30 if match[f"half{tag}"] else int(match[f"minute{tag}"] or match[f"mm{tag}"] or 0)
    period = match[f"period{tag}"] or ("晚" if evening else None)
    if (
        (period in ("下午", "傍晚", "晚上", "夜里", "晚") and hour < 12)
        or (period == "中午" and hour < 6)
        or (period is None and 1 <= hour <= 6)
    ):
        hour += 12
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _month_day(year: int, month: int, day: int) -> date | None:
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return date(year, month, day)


def _next_month(today: date) -> tuple[int, int]:
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _chinese_day(match: re.Match[str], today: date) -> date | None:
    if match["month"]:
        year = int(match["year"]) if match["year"] else today.year
        month = _number(match["month"])
        if not 1 <= month <= 12:
            return None
        part = match["monthpart"]
        last = calendar.monthrange(year, month)[1]
        day = {"底": last, "末": last, "中": 15, "初": 5}.get(part or "", 0) or _number(
            match["day"]
        )
        found = _month_day(year, month, day)
        if found and not match["year"] and found < today - timedelta(days=60):
            found = _month_day(year + 1, month, day)
        return found
    if match["mday"]:
        day = _number(match["mday"])
        found = _month_day(today.year, today.month, day)
        if found is None or found < today:
            found = _month_day(*_next_month(today), day)
        return found
    if match["weekday"]:
        weekday = _WEEKDAYS.get(match["weekday"])
        target = int(match["weekday"]) - 1 if weekday is None else weekday
        monday = today - timedelta(days=today.weekday())
        week = match["week"]
        if week == "下":
            return monday + timedelta(days=7 + target)
        if week == "下下":
            return monday + timedelta(days=14 + target)
        found = monday + timedelta(days=target)
        return found + timedelta(days=7) if found < today and not week else found
    if match["thispart"]:
        year, month = (today.year, today.month)
        if match["thispart"] == "中" and today.day > 15:
            year, month = _next_month(today)
        last = calendar.monthrange(year, month)[1]
        return date(year, month, 15 if match["thispart"] == "中" else last)
    if match["yearend"]:
        return date(today.year, 12, 31)
    if match["weekend"]:
        return today + timedelta(days=6 - today.weekday())
    offsets = {"今": 0, "明": 1, "后": 2, "大": 3}
    return today + timedelta(days=offsets[match["dayword"][0]])


def _chinese(match: re.Match[str], now: datetime) -> datetime | None:
    today = now.date()
    if match["bare"]:
        moment = _clock(match, "2") or _NAMED_TIMES.get(match["named2"] or "")
        if moment is None:
            return None
        due = _at(today, moment, now)
        return due if due >= now else _at(today + timedelta(days=1), moment, now)
    if match["span"]:
        amount = 0.5 if match["span"] == "半" else _number(match["span"])
        unit = match["unit"]
        if "时" in unit:
            return _after(now, timedelta(hours=amount))
        if "分" in unit:
            return _after(now, timedelta(minutes=amount))
        if "周" in unit or "星期" in unit:
            amount *= 7
        return _at(today + timedelta(days=max(int(amount), 0)), _END_OF_DAY, now)
    day = _chinese_day(match, today)
    if day is None:
        return None
    dayword = match["dayword"] or ""
    moment = _clock(match, "", evening="晚" in dayword or "夜" in dayword) if match["at"] else None
    if moment is None:
        moment = _NAMED_TIMES.get(match["named"] or "", _NAMED_TIMES.get(dayword, _END_OF_DAY))
    return _at(day, moment, now)


def _english(match: re.Match[str], now: datetime) -> datetime | None:
    today = now.date()
    if match["enweekday"]:
        target = _EN_WEEKDAYS.index(match["enweekday"].lower())
        days = (target - today.weekday()) % 7 + (7 if match["next"] else 0)
        return _at(today + timedelta(days=days), _END_OF_DAY, now)
    if match["enmonth"]:
        month = _EN_MONTHS.index(match["enmonth"].lower()) + 1
        found = _month_day(today.year, month, int(match["endate"]))
        if found and found < today - timedelta(days=60):
            found = _month_day(today.year + 1, month, int(match["endate"]))
        return _at(found, _END_OF_DAY, now) if found else None
    if match["enhour"]:
        hour = int(match["enhour"]) % 12 + (12 if match["ampm"].lower() == "pm" else 0)
        minute = int(match["enmin"] or 0)
        if minute > 59:
            return None
        due = _at(today, time(hour, minute), now)
        return due if due >= now else _at(today + timedelta(days=1), time(hour, minute), now)
    word = match["enday"].lower()
    if match["enspan"] == "week":
        return _at(today + timedelta(days=6 - today.weekday()), _END_OF_DAY, now)
    if match["enspan"] == "month":
        return _at(
            today.replace(day=calendar.monthrange(today.year, today.month)[1]), _END_OF_DAY, now
        )
    return _at(today + timedelta(days=1 if word == "tomorrow" else 0), _END_OF_DAY, now)


def _chinese_phrases(text: str) -> list[re.Match[str]]:
    """Like `_CHINESE.finditer`, but tried only where a date phrase can start (much faster)."""
    found: list[re.Match[str]] = []
    position = 0
    for anchor in _PHRASE_START.finditer(text):
        if anchor.start() < position:
            continue
        match = _CHINESE.match(text, anchor.start(), anchor.start() + _PHRASE_CHARS)
        if (
            match
            and match[0].strip()
            and not _AS_OF.search(text, max(0, match.start() - _AS_OF_CHARS), match.start())
        ):
            found.append(match)
            position = match.end()
    return found


@lru_cache(maxsize=1024)
def _phrases(text: str) -> tuple[tuple[bool, re.Match[str]], ...]:
    """Date phrases worth resolving, each with whether it is cued as a deadline (前, 截止, by).

    An uncued date counts only in a clause that asks for something (请…今晚把照片发群里).
    """
    found: list[tuple[bool, re.Match[str]]] = []
    for clause in _CLAUSE.findall(text):
        requesting = _REQUEST_CLAUSE.search(clause) is not None
        for match in _chinese_phrases(clause):
            cued = bool(match["cue"] or match["span"] or match["weekend"])
            if cued or requesting:
                found.append((cued, match))
        found.extend((True, match) for match in _ENGLISH.finditer(clause))
    return tuple(found)


def find_deadline(text: str, now: datetime) -> datetime | None:
    """The due time a message names (本周五前, 今晚8点, by Friday) in the zone of `now`, or None."""
    return find_deadline_normalized(normalize(text).lower(), now)


def find_deadline_normalized(text: str, now: datetime) -> datetime | None:
    """The due time in normalized, lower-cased `text`, preferring phrases marked 前/截止/by.

    Among several, the earliest that is still ahead of `now` wins, else the earliest.
    """
    candidates = _phrases(text)
    if any(cued for cued, _ in candidates):
        candidates = tuple(c for c in candidates if c[0])
    resolved = [
        due
        for _, match in candidates
        if (due := (_english if match.re is _ENGLISH else _chinese)(match, now)) is not None
    ]
    if not resolved:
        return None
    ahead = [d for d in resolved if d >= now]
    return min(ahead or resolved)
