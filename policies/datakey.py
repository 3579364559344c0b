"""What data a request asks for: its objects, period, kind and scope, read from its words.

The objects come from a lexicon of grassroots data objects and their aliases (package data,
policies/data/data_objects.toml), matched longest first over the normalised text. Surface
similarity cannot tell 低保户名单 from 特困供养人员名单, nor 最低生活保障对象花名册 from 低保户名单;
the lexicon can. Periods (2026年度, 三季度, 本月, 上周 …) are resolved against the message's own
time; a deadline (本月20日前, 本周五前, 月底前) is not a period.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import resources

from policies.normalize import normalize

_GAP = "…"
_GAP_CHARS = 6  # how far apart the parts of a gapped alias may be: 用于经营的自建房
_CLAUSE_BREAK = re.compile(r"[,.;!?，。；！？\n]")


@dataclass(frozen=True)
class Lexicon:
    """Aliases (normalised surface words) and what each names; built once, passed as a value."""

    aliases: Mapping[str, tuple[str, ...]]
    implies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    gapped: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()
    _lengths: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        objects: Mapping[str, Sequence[str]],
        implies: Mapping[str, Sequence[str]] = {},
        ignore: Iterable[str] = (),
    ) -> Lexicon:
        """A lexicon from canonical name -> aliases; ignored words match and name nothing."""
        aliases: dict[str, tuple[str, ...]] = {}
        gapped: list[tuple[re.Pattern[str], tuple[str, ...]]] = []
        for canonical, words in objects.items():
            for word in (canonical, *words):
                _add_alias(aliases, gapped, _alias_form(word), (canonical,))
        for word in ignore:
            _add_alias(aliases, gapped, _alias_form(word), ())
        lengths: dict[str, set[int]] = {}
        for alias in aliases:
            lengths.setdefault(alias[0], set()).add(len(alias))
        return cls(
            aliases=aliases,
            implies={name: tuple(implied) for name, implied in implies.items()},
            gapped=tuple(gapped),
            _lengths={first: tuple(sorted(ls, reverse=True)) for first, ls in lengths.items()},
        )

    def with_aliases(self, extra: Mapping[str, Sequence[str]]) -> Lexicon:
        """This lexicon plus aliases from config or admins' confirmations: alias -> objects."""
        aliases = dict(self.aliases)
        gapped = list(self.gapped)
        for word, names in extra.items():
            _add_alias(aliases, gapped, _alias_form(word), tuple(names))
        lengths: dict[str, set[int]] = {}
        for alias in aliases:
            lengths.setdefault(alias[0], set()).add(len(alias))
        return Lexicon(
            aliases=aliases,
            implies=self.implies,
            gapped=tuple(gapped),
            _lengths={first: tuple(sorted(ls, reverse=True)) for first, ls in lengths.items()},
        )

    def with_objects(self, objects: Mapping[str, Sequence[str]]) -> Lexicon:
        """This lexicon plus objects from config: canonical name -> aliases."""
        return self.with_aliases(
            {word: (name,) for name, words in objects.items() for word in (name, *words)}
        )

    @property
    def object_names(self) -> frozenset[str]:
        return frozenset(name for names in self.aliases.values() for name in names)


def _alias_form(word: str) -> str:
    # NFKC would turn the gap mark into "...": normalise each part on its own.
    return _GAP.join(normalize(part).lower().replace(" ", "") for part in word.split(_GAP))


def _add_alias(
    aliases: dict[str, tuple[str, ...]],
    gapped: list[tuple[re.Pattern[str], tuple[str, ...]]],
    alias: str,
    names: tuple[str, ...],
) -> None:
    if not alias:
        return
    if _GAP in alias:
        parts = [re.escape(part) for part in alias.split(_GAP)]
        gapped.append((re.compile(f"[^,.;!?，。；！？\\n]{{0,{_GAP_CHARS}}}?".join(parts)), names))
    else:
        aliases[alias] = names


def lexicon_from_toml(text: str) -> Lexicon:
    """A lexicon from the TOML form of policies/data/data_objects.toml."""
    data = tomllib.loads(text)
    return Lexicon.build(
        data.get("objects", {}), data.get("implies", {}), data.get("ignore", {}).get("words", ())
    )


@cache
def default_lexicon() -> Lexicon:
    """The packaged lexicon, read once (on first use, never at import)."""
    source = resources.files("policies").joinpath("data/data_objects.toml")
    return lexicon_from_toml(source.read_text(encoding="utf-8"))


@dataclass(frozen=True, order=True)
class Period:
    """A span of time data is about: its unit (year, half, quarter, month, week …) and start."""

    unit: str
    start: date


@dataclass(frozen=True)
class DataKey:
    objects: frozenset[str]
    period: Period | None
    kinds: frozenset[str]
    scope: frozenset[str]

    @property
    def object_key(self) -> str:
        """The objects as one short string: equal for requests about the same objects."""
        return "|".join(sorted(self.objects))


# --- objects -------------------------------------------------------------------------------

_SENDER = re.compile(r"^(?:【[^】]{1,12}】|[^,.;!?，。；！？\n:：]{1,12}[:：])")
_FORWARDED = re.compile(r"^(?:【?转发】?[:：]?|fwd:|转:)\s*")
# A clause that says why the data is wanted, or what prompted it, names no data asked for.
# Both alternatives start where a clause starts: one tried at every position would scan the rest
# of the clause from each (quadratic in a long line).
_PURPOSE = re.compile(
    r"(?:^|(?<=[,.;!?，。；！？\n]))\s*(?:"
    r"(?:为了|为(?=做好|确保|进一步|贯彻|落实|推进|加强|切实|全面|及时|保障|掌握|摸清)"
    r"|根据|按照|依据|结合|围绕|用于|以便|便于|用来|我们要|要做)[^,.;!?，。；！？\n]*"
    r"|[^,.;!?，。；！？\n]*(?:要用|需要用)(?=[,.;!?，。；！？\n]|$))"
)
# 小餐饮、小商店等"九小"场所: the examples before 等 belong to the object after it.
_EXAMPLES = re.compile(r"(?:[^,.;!?，。；！？\n、]{1,8}、)+[^,.;!?，。；！？\n、]{1,8}等(?![级待])")
_CN_NUMBER = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7}
_CN_NUMBER.update({"八": 8, "九": 9})
_NUMBER = r"(?:\d{1,3}|[零一二两三四五六七八九十百]{1,4})"
_AGE = re.compile(
    rf"(?P<low>{_NUMBER})\s*(?:周?岁)?\s*(?:-|~|—|到|至)\s*(?P<high>{_NUMBER})\s*周?岁"
    rf"|(?P<age>{_NUMBER})\s*周?岁\s*(?P<side>及?以上|及?以下|以内|以后|之上)?"
)


def chinese_number(text: str) -> int:
    """12, 十二, 六十五, 一百 as an int."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for char in text:
        if char == "十":
            total += (digit or 1) * 10
            digit = 0
        elif char == "百":
            total += (digit or 1) * 100
            digit = 0
        else:
            digit = _CN_NUMBER.get(char, 0)
    return total + digit


def _ages(text: str) -> set[str]:
    found = set()
    for match in _AGE.finditer(text):
        if match["low"] is not None:
            found.add(f"age:{chinese_number(match['low'])}-{chinese_number(match['high'])}")
        else:
            side = match["side"] or ""
            suffix = "+" if "上" in side or "后" in side else "-" if side else ""
            found.add(f"age:{chinese_number(match['age'])}{suffix}")
    return found


_ADDRESSED = re.compile(r"(?:各|每位|每个|各位)$")
# A clause that asks for something; the others say why, what prompted it, or how to fill it in.
_ASKING = re.compile(
    r"报|统计|填|提供|发给|发我|发到|发来|发至|发群|交|上传|摸排|摸底|摸一下|核对|核实|核查|汇总"
    r"|收集|收齐|整理|登记|更新|梳理|排查|清查|采集|send|submit|fill|report|provide"
)


def _lexicon_objects(text: str, lexicon: Lexicon) -> set[str]:
    found: set[str] = set()
    for pattern, names in lexicon.gapped:
        for match in pattern.finditer(text):
            found.update(names)
            text = text[: match.start()] + " " * len(match[0]) + text[match.end() :]
    position = 0
    while position < len(text):
        for length in lexicon._lengths.get(text[position], ()):
            named = lexicon.aliases.get(text[position : position + length])
            if named is not None:
                # 请各网格员把…: whom the request is addressed to is not what it asks for.
                if not _ADDRESSED.search(text, max(0, position - 2), position):
                    found.update(named)
                position += length
                break
        else:
            position += 1
    return found


def _with_implied(objects: set[str], lexicon: Lexicon) -> frozenset[str]:
    pending = list(objects)
    while pending:
        for implied in lexicon.implies.get(pending.pop(), ()):
            if implied not in objects:
                objects.add(implied)
                pending.append(implied)
    return frozenset(objects)


def request_body(text: str) -> str:
    """The normalised words that say what is asked: no sender prefix, forward marker or purpose."""
    body = normalize(text).lower()
    body = _FORWARDED.sub("", body)
    body = _SENDER.sub("", body, count=1)
    return _EXAMPLES.sub("", _PURPOSE.sub("", body))


def _asking_part(text: str) -> str:
    """The clauses that ask for something, or the whole text when none does."""
    asking = [clause for clause in _CLAUSE_BREAK.split(text) if _ASKING.search(clause)]
    return "，".join(asking) if asking else text


def objects_in(text: str, lexicon: Lexicon) -> frozenset[str]:
    """The data objects a request's body names (ages included: 65岁以上 is age:65+).

    Objects named in the clauses that ask win: in 核拨下季度供养金，请各村报一下特困人员名单 the
    fund is why, the list is what.
    """
    for part in (_asking_part(text), text):
        found = _lexicon_objects(part, lexicon) | _ages(part)
        if found:
            return _with_implied(found, lexicon)
    return frozenset()


# --- periods -------------------------------------------------------------------------------

_DEADLINE_AFTER = re.compile(
    r"\s*(?:前|之前|以前|内|之内|为止|止|截止|底|末|中旬|上旬|下旬|初|中(?!心|学|国)"
    r"|\d{1,2}\s*(?:日|号)|[一二三四五六七八九十]{1,3}(?:日|号)|下班|中午|上午|下午|晚上|[0-9]{1,2}点"
    r"|以后|之后|后|出生|生)"
)
_AS_OF_BEFORE = re.compile(r"(?:截至|截止到?|到)\s*$")
_YEAR_WORDS = {"今年": 0, "本年度": 0, "本年": 0, "当年": 0, "去年": -1, "上年度": -1}
_YEAR_WORDS.update(
    {"上一年度": -1, "上一年": -1, "前年": -2, "明年": 1, "下一年度": 1, "下年度": 1}
)
_QUARTER_WORDS = {"本季度": 0, "这个季度": 0, "这季度": 0, "当季": 0, "上季度": -1}
_QUARTER_WORDS.update({"上个季度": -1, "上一季度": -1, "下季度": 1, "下个季度": 1, "下一季度": 1})
_MONTH_WORDS = {"本月份": 0, "本月": 0, "这个月": 0, "当月": 0, "上个月": -1, "上月": -1}
_MONTH_WORDS.update({"上一个月": -1, "下个月": 1, "下月": 1})
_WEEK_WORDS = {"本周": 0, "这周": 0, "这一周": 0, "这个星期": 0, "本星期": 0, "上周": -1}
_WEEK_WORDS.update({"上一周": -1, "上个星期": -1, "上星期": -1, "下周": 1, "下个星期": 1})
_DAY_WORDS = {"今天": 0, "今日": 0, "当天": 0, "当日": 0, "今晚": 0, "昨天": -1, "昨日": -1}
_SEMESTER_WORDS = {"本学期": 0, "这学期": 0, "这个学期": 0, "上学期": -1, "下学期": 1}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_QUARTER_NUMBER = r"第?(?P<q>[一二三四1-4])季度"
_MONTH_NUMBER = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月份?"
_MONTH_RANGE = (
    r"(?P<m1>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*(?:-|~|到|至)\s*"
    r"(?P<m2>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])\s*月份?"
)
_SUB_YEAR = rf"(?P<half>上半年|下半年)|{_QUARTER_NUMBER}|{_MONTH_RANGE}|{_MONTH_NUMBER}"
_PERIOD = re.compile(
    rf"(?:(?P<year>(?:19|20)\d{{2}})\s*年度?|(?P<yearword>{_alternation(_YEAR_WORDS)}))"
    rf"\s*(?:{_SUB_YEAR})?"
    rf"|(?<![\d年])(?:{_SUB_YEAR.replace('?P<', '?P<bare_')})"
    rf"|(?P<quarterword>{_alternation(_QUARTER_WORDS)})"
    rf"|(?P<monthword>{_alternation(_MONTH_WORDS)})"
    rf"|(?P<weekword>{_alternation(_WEEK_WORDS)})(?![一二三四五六日天1-7末])"
    rf"|(?P<dayword>{_alternation(_DAY_WORDS)})"
    rf"|(?P<semester>{_alternation(_SEMESTER_WORDS)})"
)


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + by
    return index // 12, index % 12 + 1


def _year_period(year: int, match: re.Match[str], prefix: str) -> Period:
    if match[prefix + "half"]:
        return Period("half", date(year, 1 if match[prefix + "half"] == "上半年" else 7, 1))
    if match[prefix + "q"]:
        quarter = chinese_number(match[prefix + "q"])
        return Period("quarter", date(year, 3 * quarter - 2, 1))
    if match[prefix + "m1"]:
        first, last = chinese_number(match[prefix + "m1"]), chinese_number(match[prefix + "m2"])
        if first < last and first % 3 == 1 and last == first + 2:
            return Period("quarter", date(year, first, 1))
        if (first, last) in ((1, 6), (7, 12)):
            return Period("half", date(year, first, 1))
        return Period(f"months-{last}", date(year, max(1, min(first, 12)), 1))
    if match[prefix + "m"]:
        month = max(1, min(chinese_number(match[prefix + "m"]), 12))
        return Period("month", date(year, month, 1))
    return Period("year", date(year, 1, 1))


def _period_of(match: re.Match[str], today: date) -> Period | None:
    if match["year"] or match["yearword"]:
        year = int(match["year"]) if match["year"] else today.year + _YEAR_WORDS[match["yearword"]]
        return _year_period(year, match, "") if 1900 < year < 2200 else None
    if match["bare_half"] or match["bare_q"] or match["bare_m1"]:
        return _year_period(today.year, match, "bare_")
    if match["bare_m"]:
        month = chinese_number(match["bare_m"])
        # A month well after this one is last year's: 12月份 asked in January.
        year = today.year - 1 if month > today.month + 1 else today.year
        return Period("month", date(year, max(1, min(month, 12)), 1))
    if word := match["quarterword"]:
        quarter_start = 3 * ((today.month - 1) // 3) + 1
        year, month = _shift_month(today.year, quarter_start, 3 * _QUARTER_WORDS[word])
        return Period("quarter", date(year, month, 1))
    if word := match["monthword"]:
        year, month = _shift_month(today.year, today.month, _MONTH_WORDS[word])
        return Period("month", date(year, month, 1))
    if word := match["weekword"]:
        monday = today.toordinal() - today.weekday() + 7 * _WEEK_WORDS[word]
        return Period("week", date.fromordinal(monday))
    if word := match["dayword"]:
        return Period("day", date.fromordinal(today.toordinal() + _DAY_WORDS[word]))
    if word := match["semester"]:
        # Terms start in September and February; January still belongs to the autumn term.
        autumn_year = today.year if today.month >= 8 else today.year - 1
        spring = 2 <= today.month < 8
        index = (2 * autumn_year + (1 if spring else 0)) + _SEMESTER_WORDS[word]
        year, is_spring = divmod(index, 2)
        return Period("semester", date(year + is_spring, 2 if is_spring else 9, 1))
    return None


def period_in(text: str, now: datetime) -> Period | None:
    """The first period the text's data is about, resolved against `now`; deadlines are not."""
    today = now.date()
    for match in _PERIOD.finditer(text):
        before = text[max(0, match.start() - 8) : match.start()]
        if _DEADLINE_AFTER.match(text, match.end()) or _AS_OF_BEFORE.search(before):
            continue
        if (period := _period_of(match, today)) is not None:
            return period
    return None


# --- kinds and scope -----------------------------------------------------------------------

_KINDS = (
    ("photo", re.compile(r"照片|拍照|图片|相片|视频|截图|photo")),
    ("document", re.compile(r"材料|方案|总结|报告|汇报|计划|事迹|心得|讲话稿|简报")),
    (
        "data",
        re.compile(
            r"名单|花名册|名册|清单|台账|(?<![代发列])表(?![彰扬态示率决])|明细|信息|情况|数据"
            r"|人数|户数|数量|多少|几处|几个|亩数|面积|进度|记录|日志|底数|统计|list|form"
        ),
    ),
)
# A unit's own name has no function words, verbs or level words: 各村, 本村, 行政村 are no names.
_NOT_IN_NAME = (
    "各本全每该请把将在到和及与或的了个等级类贫困示范重点行政自然农城乡村镇社区"
    "我你他她其此这那报送交发给由向对从"
)
_UNIT_NAME = rf"[^\W\d_{_NOT_IN_NAME}]"
_UNIT = re.compile(
    rf"(?:^|(?<=[\s,.;:!?，。；：！？、（(请把由给向对到在至及和与]))"
    rf"(?P<name>{_UNIT_NAME}{{2,4}}?)(?P<suffix>村委会|村委|村|社区|居委会|小学|中学|幼儿园|卫生院|街道|镇|乡)"
)


def kinds_in(text: str) -> frozenset[str]:
    """What form the data takes: data (lists, counts, tables), photo, document."""
    return frozenset(kind for kind, pattern in _KINDS if pattern.search(text))


def scope_in(text: str) -> frozenset[str]:
    """The named units (东山村, 幸福里社区, 中心小学) whose data is asked for; none when generic."""
    return frozenset(
        match["name"] + ("村" if match["suffix"].startswith("村") else match["suffix"])
        for match in _UNIT.finditer(text)
    )


_IMPERATIVE = re.compile(r"请|麻烦|烦请|务必|各[^\W\d_]{1,4}?(?:把|将|报|统计|提供|上报|核对|填)")


def asks_something(text: str) -> bool:
    """Whether a text is worded as a request at all (请, 麻烦, 各村把 …): cheap, before any key."""
    return _IMPERATIVE.search(normalize(text)) is not None


def asks_for_data(text: str, key: DataKey) -> bool:
    """Whether a text asks for data objects it names: 各村把…名单报来 (the words alone)."""
    return bool(key.objects) and bool(key.kinds) and asks_something(text)


def data_key(text: str, now: datetime, lexicon: Lexicon | None = None) -> DataKey:
    """The key of a data request's text, sent at `now` (periods are relative to it)."""
    lexicon = lexicon or default_lexicon()
    full = normalize(text).lower()
    body = request_body(text)
    return DataKey(
        objects=objects_in(body, lexicon),
        period=period_in(_asking_part(body), now) or period_in(body, now),
        kinds=kinds_in(body),
        scope=scope_in(full),
    )
