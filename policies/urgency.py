"""Declared urgency: a marker the sender put on a message (【紧急】, 加急:, #urgent, leading 急!).

Topic words (应急, 急诊, 紧急联系人, 防汛) and a message that refers to an earlier urgent one
("那条紧急通知已撤回") declare nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_TOPIC_AFTER = (
    r"(?!联系|避难|疏散|救援|预案|电话|出口|通道|医|救|措施|处置|响应|状态|制动|按钮|停车|集合点)"
)
_WORD = rf"(?:十万火急|紧急{_TOPIC_AFTER}|加急|特急|火急(?!火燎)|急件|急{{2,8}}|urgent|asap)"
_SUFFIX = (
    r"(?:情况通报|情况通知|通知|提醒|任务|事项|情况|通告|公告|通报|集合|会议|求助|扩散|件|事)?"
)
_TAG_TEXT = r"[^【】\[\]「」〖〗()\n]{0,4}?"
_BUILT_IN = (
    # 【紧急】 [加急] 「特急」 〖急〗: a short bracketed tag that says urgent.
    rf"(?P<bracket>[【\[「〖(](?:{_TAG_TEXT}{_WORD}{_TAG_TEXT}|急)[】\]」〗)])",
    # #紧急 #urgent
    rf"(?P<hashtag>#(?:{_WORD}{_SUFFIX}|急)(?![a-z])#?)",
    # 紧急通知 / 加急! / 民政办:紧急通知 / 🔴紧急 at the start of a line.
    # A spoken particle may close it: 紧急通知啊 (voice-to-text has no punctuation).
    rf"(?:^|\n)(?:[^\n:]{{1,12}}:)?[^\w\n]*(?P<leading>{_WORD}{_SUFFIX})(?=[\s:!,.、。\-啊呀哈喇]|$)",
    # 急! 急急急 at the start of a line; 急谁有… (a cry for help, spoken without a pause).
    r"(?:^|\n)\s*(?P<bare>急{3,8}|急{1,2}(?=[!:\s]|谁|哪位|有没有|有人|求))",
    # 紧急通知: / 加急! anywhere: the colon or "!" makes it a declaration, not a mention.
    rf"(?P<declared>{_WORD}{_SUFFIX})(?=[:!])",
    # 关于防汛的紧急通知 as the title line of a document.
    rf"(?P<title>{_WORD}(?:通知|通告|公告))(?=\n)",
    r"(?P<emphatic>十万火急|(?-i:URGENT))",
)
# What before a marker makes it a reference or a denial, not a declaration.
_REFERENCE_BEFORE = re.compile(
    r"(?:那条|这条|上条|该条|前条|那个|这个|刚才|刚刚|之前|前面|此前|上述|此条|"
    r"不|非|并非|不是|无需|不算|别|\bnot|\bno|"
    r"更正|撤回)\s*\S{0,3}$",  # 更正：上午【紧急】通知里…
    re.IGNORECASE,
)
_RETRACTED_AFTER = re.compile(
    # 【紧急】通知里的时间有误: the words after say it is about that message
    r"^\S{0,2}(?:已|已经)?(?:撤回|作废|撤销|取消|有误|更正|发错)|^(?:通知)?[里中]的"
)
_PUNCTUATION = " \t\n:!,.;、。!?()-—~…【】[]「」〖〗#*'\"“”‘’"


@dataclass(frozen=True, slots=True)
class UrgentMarker:
    marker: str
    reason: str | None
    rule: str  # the pattern that found it: group, bracket, hashtag, leading, bare, declared, title…


@lru_cache(maxsize=256)
def marker_pattern(extra_markers: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Built-in marker grammar plus a group's own markers (already normalized), matched anywhere."""
    parts = list(_BUILT_IN)
    extras = sorted({m.lower() for m in extra_markers if m.strip()}, key=len, reverse=True)
    if extras:
        parts.insert(0, "(?P<group>" + "|".join(re.escape(m) for m in extras) + ")")
    return re.compile("|".join(parts), re.IGNORECASE)


def find_urgent_marker(text: str, extra_markers: tuple[str, ...] = ()) -> UrgentMarker | None:
    """The first declared urgency marker in normalized `text`, with the reason that follows it.

    `extra_markers` are a group's own, normalized and lower-cased.
    """
    lowered = text.lower()
    # Every built-in marker holds 急 or a latin word: most messages need no pattern at all.
    if (
        "急" not in text
        and "urgent" not in lowered
        and "asap" not in lowered
        and not any(m in lowered for m in extra_markers)
    ):
        return None
    for match in marker_pattern(extra_markers).finditer(text):
        rule = match.lastgroup or ""
        start, end = match.span(rule)
        before, after = text[max(0, start - 8) : start], text[end : end + 8]
        if _REFERENCE_BEFORE.search(before) or _RETRACTED_AFTER.search(after):
            continue
        marker = match[rule]
        reason = text[end:].strip(_PUNCTUATION) or text[:start].strip(_PUNCTUATION)
        return UrgentMarker(marker, reason or None, rule)
    return None
