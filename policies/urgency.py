"""Declared urgency: a marker the sender put on a message (【紧急】, 加急:, #urgent, leading 急!).

Topic words (应急, 急诊, 紧急联系人, 防汛) and a message that refers to an earlier urgent one
("那条紧急通知已撤回") declare nothing. A reason must say something: "【紧急】请大家看群" asks for
attention and says nothing about why, so its marker has no reason.
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

# What a call for attention is made of, and nothing more: whom it addresses (请大家, 各位领导,
# @所有人), how soon (速, 马上, 及时), a verb of looking, reading or answering (看, 查看, 注意,
# 查收, 回复), what to look at when it is only the chat or some message (群, 群消息, 上面的通知),
# how important it is (重要, 紧急), particles, punctuation and emoji. A reason made only of
# these says nothing; one word beyond them (防火, 附件, 会议室, 停电) is a matter, so a reason.
_ATTENTION_WORDS = (
    # whom
    "请",
    "麻烦",
    "烦请",
    "各位",
    "大家",
    "全体",
    "所有人",
    "诸位",
    "同志们",
    "领导",
    "老师",
    "们",
    "你们",
    "您",
    "都",
    # how soon, how surely
    "一定",
    "务必",
    "必须",
    "尽快",
    "马上",
    "立即",
    "立刻",
    "赶紧",
    "赶快",
    "抓紧",
    "及时",
    "第一时间",
    "速",
    "快",
    # looking, reading, answering
    "看",
    "瞧",
    "查看",
    "察看",
    "查阅",
    "阅读",
    "阅",
    "查收",
    "浏览",
    "关注",
    "留意",
    "注意",
    "重视",
    "回复",
    "回",
    "收到",
    "在吗",
    "在不在",
    "一下",
    "一眼",
    "下",
    # at what: the chat, or a message without saying which matter
    "群",
    "群里",
    "群内",
    "群聊",
    "群组",
    "工作群",
    "本群",
    "消息",
    "信息",
    "讯息",
    "通知",
    "内容",
    "手机",
    "上面",
    "上条",
    "上一条",
    "以上",
    "前面",
    "楼上",
    "这条",
    "此条",
    "下面",
    "的",
    # how important
    "重要",
    "很",
    "非常",
    "十分",
    "特别",
    "紧急",
    "急",
    # particles
    "啊",
    "呀",
    "哈",
    "了",
    "啦",
    "哦",
    "喔",
    "噢",
    "吧",
    "呢",
    "嘛",
    # the same in English
    "please",
    "pls",
    "plz",
    "kindly",
    "everyone",
    "everybody",
    "all",
    "read",
    "see",
    "check",
    "look",
    "at",
    "attention",
    "important",
    "above",
    "the",
    "this",
    "group",
    "chat",
    "message",
    "messages",
    "now",
    "asap",
    "urgent",
    "note",
)
_ATTENTION_ONLY = re.compile(
    r"(?:@\S+|[\s\W_]|"
    + "|".join(re.escape(w) for w in sorted(_ATTENTION_WORDS, key=len, reverse=True))
    + ")+"
)
_ATTENTION_MAX_CHARS = 40  # longer than any call for attention people type


def says_something(reason: str) -> bool:
    """Whether a marker's reason (normalized) states a matter, not only a call to look."""
    return len(reason) > _ATTENTION_MAX_CHARS or not _ATTENTION_ONLY.fullmatch(reason.lower())


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
        after, before = text[end:].strip(_PUNCTUATION), text[:start].strip(_PUNCTUATION)
        reason = next((r for r in (after, before) if r and says_something(r)), None)
        return UrgentMarker(marker, reason, rule)
    return None
