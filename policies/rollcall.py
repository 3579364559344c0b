"""接龙 chains: a topic and its numbered entries; what a reposted copy adds and drops."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from policies.classification import RollCall, RollCallEntry
from policies.normalize import normalize

# "1. 张伟 XL", "2、李娜", "3) 王强", "(4) 刘洋", "- 陈静", "• 杨帆", "🙋 王芳" (a raised hand)
_ENTRY = re.compile(
    r"(?:(?P<number>\d{1,3})(?:\s*[.、):,]|\s)|\((?P<paren>\d{1,3})\)"
    r"|[-•·*▪●○◆◇★☆✓√➤►👉✋🙋🙌☝✅][\U0001F3FB-\U0001F3FF♀♂]*)\s*(?P<body>\S.*)"
)
_MAX_ENTRY_CHARS = 40
# Words in a topic line that say "sign up / report in by adding a line".
_CHAIN_TOPIC = re.compile(
    r"接龙|报名|签到|认领|预约|登记|自愿|订餐|订饭|点餐|团购|认购|拼单|尺码|参加人员|参加的|需要的|志愿者|"
    r"值守|捐款|sign ?up|volunteers?|roll ?call|rsvp|lunch order|orders?\b",
    re.IGNORECASE,
)
# An announcement that happens to end with a list: results, agendas, rules, schedules.
_ANNOUNCEMENT_TOPIC = re.compile(
    r"如下|被评为|表彰|公示|通报|议程|事项|要求|安排|注意|规定|通知|须知|步骤|流程|说明|目录|内容|"
    r"重点|任务|计划|目标|分工|措施|(?:值班|排班|课|作息|日程|时间)表|下列|以下(?!同志|人员)|"
    r"[需须](?:要)?(?:提交|准备|携带|提供)|请(?:携带|准备)|"
    r"agenda|rules|notice|following|bring",
    re.IGNORECASE,
)
_NAME_END = re.compile(r"\s|(?=\()")
_CLAUSE_PUNCTUATION = re.compile(r"[,。;:!?]")
# After the entries a chain may say "keep adding" (请继续接龙, 👇) and still be a chain.
_TAIL_CHARS = 4
_HASHTAG = re.compile(r"#接龙\s*")
# An unnumbered entry under a 接龙 topic: a name with a short note, no sentence punctuation.
_PLAIN_ENTRY = re.compile(r"[^\s#@,。;:!?][^,。;:!?]{0,19}")
_NOT_KEY = re.compile(r"[\W_]+")
# A name with a short note ("王小明 素食", "黄sir 鸡扒饭"), not a sentence ("以上同志请准时到场").
_NAME_LINE = re.compile(r"(?!以上|请|注意|备注|另|共|合计)[^\s]{1,8}(?: [^\s]{1,8})?")


@dataclass(frozen=True, slots=True)
class RollCallDiff:
    added: tuple[RollCallEntry, ...]
    dropped: tuple[RollCallEntry, ...]


def _entry(line: str) -> RollCallEntry | None:
    """One numbered or bulleted line as number, name (its first word) and the rest."""
    match = _ENTRY.fullmatch(line)
    if match is None or len(match["body"]) > _MAX_ENTRY_CHARS:
        return None
    number = match["number"] or match["paren"]
    return _split_entry(int(number) if number else None, match["body"].strip())


def _split_entry(number: int | None, body: str) -> RollCallEntry:
    """An entry's name (its first word) and the rest."""
    split = _NAME_END.search(body)
    name, extra = (body[: split.start()], body[split.end() :].strip()) if split else (body, "")
    if not name:
        name, extra = extra, ""
    return RollCallEntry(number, name, extra)


def _plain_chain(lines: list[str]) -> RollCall | None:
    """A 接龙 (or sign-up) topic followed by unnumbered names, one a line:
    "周末加班接龙\n许静\n傅强", "尾牙订餐\n王小明 素食\n李美华 荤食"."""
    topic_lines = 2 if lines[0] == "#接龙" else 1
    entries = lines[topic_lines:]
    chained = "接龙" in lines[0]
    if (
        not (chained or _is_sign_up(" ".join(lines[:topic_lines])))
        or len(entries) < 2
        or not all(_PLAIN_ENTRY.fullmatch(line) for line in entries)
        # without the word 接龙, every line must look like a name with a short note
        or not (chained or all(_NAME_LINE.fullmatch(line) for line in entries))
    ):
        return None
    title = _HASHTAG.sub("", " ".join(lines[:topic_lines])).strip() or "接龙"
    return RollCall(title, tuple(_split_entry(None, line) for line in entries))


def _is_plain_list(entries: list[RollCallEntry]) -> bool:
    """Short entries with no sentence punctuation: names with a note, not numbered prose."""
    return len(entries) >= 2 and all(
        len(e.name) + len(e.extra) <= 20 and not _CLAUSE_PUNCTUATION.search(e.name + e.extra)
        for e in entries
    )


def _is_sign_up(topic: str) -> bool:
    """A topic that asks people to add their line (报名, 订餐, sign-up), not an announcement."""
    return bool(_CHAIN_TOPIC.search(topic)) and not _ANNOUNCEMENT_TOPIC.search(topic)


def _is_tail(line: str) -> bool:
    return "接龙" in line or len(line) <= _TAIL_CHARS


def parse_normalized(text: str) -> RollCall | None:
    """A roll-call from already normalized text: a topic, then its entries at the end."""
    if "\n" not in text:
        return None
    lines = text.split("\n")
    end = len(lines)
    while end > 1 and _entry(lines[end - 1]) is None and _is_tail(lines[end - 1]):
        end -= 1
    tail = " ".join(lines[end:])
    entries: list[RollCallEntry] = []
    while end > 1 and (entry := _entry(lines[end - 1])) is not None:
        entries.append(entry)
        end -= 1
    if not entries:
        return _plain_chain(lines)
    if end == 1 and _entry(lines[0]) is not None:  # a list with no topic
        return None
    entries.reverse()
    topic = " ".join(lines[:end])
    chained = "接龙" in topic
    if not chained and (
        _ANNOUNCEMENT_TOPIC.search(f"{topic} {tail}")
        or not (_CHAIN_TOPIC.search(topic) or _is_plain_list(entries))
        or len(entries) < 2
    ):
        return None
    title = _HASHTAG.sub("", topic).strip() or "接龙"
    return RollCall(title, tuple(entries))


def parse_rollcall(text: str) -> RollCall | None:
    """The chain in a message (topic plus entries), or None when it is not a 接龙 list."""
    return parse_normalized(normalize(text))


def entry_key(entry: RollCallEntry) -> str:
    """What identifies an entry across reposts: name and note, ignoring script, emoji, spacing."""
    return _key_of(f"{entry.name}{entry.extra}")


# Every repost is compared with the open chains' entries, the same few names again and again.
@lru_cache(maxsize=16_384)
def _key_of(line: str) -> str:
    return _NOT_KEY.sub("", normalize(line)).lower()


def merge_repost(known: tuple[RollCallEntry, ...], repost: RollCall) -> RollCallDiff:
    """Entries the repost adds to and drops from the known list; renumbering is not a change.

    Two entries with the same name are two entries: counts are compared, not sets.
    """
    remaining = Counter(entry_key(e) for e in known)
    added: list[RollCallEntry] = []
    for entry in repost.entries:
        key = entry_key(entry)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            added.append(entry)
    dropped: list[RollCallEntry] = []
    for entry in reversed(known):
        key = entry_key(entry)
        if remaining[key] > 0:
            remaining[key] -= 1
            dropped.append(entry)
    dropped.reverse()
    return RollCallDiff(tuple(added), tuple(dropped))
