"""Whether a whole message is nothing but an acknowledgement ("收到", "张三已收到👍", "OK, noted").

A false positive deletes someone's words, so the grammar is closed: an optional mention, unit
or name prefix, one or more acknowledgement words, optional thanks or "will do", emoji and
punctuation. Anything else in the message (a number, a question, a correction) makes it not an
acknowledgement.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Built-in acknowledgement words, in normalized (Simplified, half-width) form; lower-cased latin.
ACK_WORDS = (
    "收到",
    "已收到",
    "收悉",
    "已收悉",
    "好的",
    "好滴",
    "好嘞",
    "好哒",
    "好",
    "嗯",
    "嗯嗯",
    "明白",
    "已明白",
    "清楚",
    "了解",
    "已了解",
    "知道",
    "知道了",
    "已知道",
    "知悉",
    "已知悉",
    "已阅",
    "已阅知",
    "已读",
    "是的",
    "遵命",
    "没问题",
    "冇问题",  # Cantonese
    "好嘅",  # Cantonese 好的
    "得",  # Cantonese assent
    "嗯呐",
    "嗯哪",
    "恩恩",  # the common slip for 嗯嗯
    # slips of the pinyin keyboard that everyone reads as the word meant
    "收道",
    "以阅",
    "已悦",
    "以收到",
    "ok",
    "okay",
    "okey",
    "okk",
    "noted",
    "received",
    "acknowledged",
    "got it",
    "copy",
    "copy that",
    "roger",
    "roger that",
    "understood",
    "will do",
    "well received",
)

# Sentence-final particles people add to an acknowledgement: 收到啦, ok的, 好的呢.
# 晒, 咗, 喇, 喎: Cantonese (明白晒, 知道咗, 收到喇); 唷, 囉 (啰): Taiwan.
_PARTICLE = r"(?:了|啦|啰|咯|喽|哈|呀|啊|哦|噢|喔|呢|滴|的|哒|嘞|哈哈|晒|咗|喇|喎|唷|哟|呦|咧)"
_REPLY_ONE = r"(?:1+|\+1|1\+)"
_SEPARATOR = r"[\s,.!~、。…;:·\-—]*"

# Unit prefix: a place or body name ending in a unit word (东山村, 幸福里社区, 三年级组, 妇联,
# Taiwan's 大安里).
_UNIT = (
    r"[一-龥0-9()]{0,12}?(?:村|社区|居委会|村委会|组|所|办|站|科|院|局|校|学校|小学|中学|幼儿园|"
    r"中心|部|室|队|委|联|网格|支部|处|股|课|厅|馆|厂|公司|街道|镇|乡|县|班|连|排|营|车间|协会)"
    r"|[一-龥]{2}(?<![箱群这那家机袋])里"
)
# Person prefix: a surname plus one or two characters, optionally a title (高书记, 王主任).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳"
    "甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解"
    "牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边"
    "卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池麻苑迟邝"
)
_COMPOUND_SURNAMES = (
    "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|令狐|夏侯|轩辕|端木|西门|南宫"
)
_TITLES = (
    r"(?:书记|主任|老师|医生|科长|所长|站长|村长|主席|干事|专干|局长|镇长|乡长|部长|组长|处长|"
    r"经理|会计|同志|委员|院长|校长|队长|网格员|班主任|导师|村医|社工|楼栋长|里长|邻长|护士长|姑娘|"
    r"姐|哥|总)"
)
_PERSON = (
    rf"(?:(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}])[一-龥]{{1,2}}?{_TITLES}?"
    rf"|(?:老|小)[{_SURNAMES}]"
    r"|(?!(?:please|pls|plz|all|not|no|is|are|was|it|that|this|we|i|you|they|he|she|also|just"
    r"|still|and|but|so|very)\b)[a-z]{2,12})"
)
_SELF = r"(?:我|我们|我这边|这边|本人|已经|都已|均已|已)"
# What may follow the acknowledgement without adding information.
_COURTESY = (
    r"(?:谢谢|感谢|多谢晒|多谢|谢啦|谢了|唔该晒|唔该)(?:领导|老师|大家|您|你|书记|主任)?的?"
    r"(?:提醒|分享|通知|关心|支持|信任|指导)?"
    r"|(?:辛苦|辛苦了|辛苦啦|您辛苦了|领导辛苦了)(?:您|你|大家|各位|领导)?"
    rf"|{_SELF}?(?:会|将)?(?:马上|立即|立刻|即刻|尽快|抓紧|随即|及时|同步|第一时间|按要求|坚决|一定|"
    r"保证|按时|准时|今天|今日|当天)?"
    r"(?:办|办理|落实|执行|安排|处理|照办|跟进|去办|准备|遵照执行|贯彻落实|对接|整改|部署|核实|转发|转达|传达|"
    r"转|通知|转告|完成|参加|出席|落实到位)"
    # 马上到, 会按时提交: coming or sending, said as a promise (已到, 已上报 report what was done)
    r"|(?:会|将)?(?:马上|立即|立刻|即刻|尽快|按时|准时)"
    r"(?:到|到场|去|过来|过去|提交|上交|上报|报送|交|报|补报|补交)"
    r"|(?:会|将)(?:提交|上交|上报|报送)"
    r"|马上|立即|立刻|即刻"
    r"|遵照执行|照办|没问题|(?:请)?(?:领导)?放心|领导|各位|大家"
    # addressed: 好的，老师 / 收到，王书记 (a bare name could be a date: 周五)
    rf"|(?:{_COMPOUND_SURNAMES}|[{_SURNAMES}]|老|小)?{_TITLES}"
    r"|(?:with |many )?thanks(?: a lot)?|thank you|thx|ty|tks|will do"
    r"|(?:mr|mrs|ms|miss|dr|sir|madam)\.?(?: [a-z]{1,12})?"
)
_MENTION = r"(?:@[^\s@]{1,32}\s*)"
# Words that turn an apparent prefix into a statement: 没收到, 我们还未收到, 不明白.
# 冇 and 唔 are Cantonese (冇收到, 唔明白), but 冇问题 and 唔该 (thanks) are not negations.
_NEGATION = re.compile(
    r"没(?!问题)|冇(?!问题)|未|不|无|别|非|否|吗|么|唔(?!该)|what\b(?<!\wwhat)|not\b(?<!\wnot)"
    r"|n't|\?"
)


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted({w.lower() for w in words if w.strip()}, key=len, reverse=True)
    word = "(?:" + "|".join(re.escape(w) for w in ordered) + f"|{_REPLY_ONE})"
    ack_unit = rf"{word}{_PARTICLE}?"
    # 桂花社区 网格员 小陈: a unit, the role, then the person; any of them may be left out.
    prefix = rf"(?:(?:{_UNIT})\s*)?(?:{_TITLES}\s*)?(?:(?:{_PERSON})\s*)?{_SELF}?"
    body = (
        rf"{_MENTION}*{prefix}{_SEPARATOR}"
        rf"{ack_unit}(?:{_SEPARATOR}{ack_unit})*"
        rf"(?:{_SEPARATOR}(?:{_COURTESY}){_PARTICLE}?)*"
        rf"{_SEPARATOR}{_MENTION}*"
    )
    return re.compile(body)


# Decorations: emoji and pictographs, skin tones, and bracket emoticons such as [抱拳] [OK],
# but not placeholders for an attachment ([图片], [文件]), which carry something more.
_DECORATION = re.compile(
    r"\[(?!图片|文件|语音|视频|链接|位置|红包|转账|动画)[^\[\]\s]{1,4}\]"
    r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u2300-\u23FF\u2190-\u21FF\u3297\u3299"
    r"\u00A9\u00AE\u203C\u2049\u2122\u2139]"
)
# Emoji that on their own say "acknowledged".
_ACK_EMOJI = frozenset("👍👌🫡🙏✅✔☑🤝💪🆗🙆")
# Skin tones and gender signs that ride on another emoji (👍🏻, 🙋‍♀️).
_MODIFIERS = frozenset("\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff♀♂")
_ACK_EMOTICONS = frozenset(
    {"[ok]", "[强]", "[抱拳]", "[握手]", "[好的]", "[收到]", "[胜利]", "[拳头]"}
)
_MAX_CHARS = 40  # longer than any acknowledgement with a name, a unit and thanks
# Where an opening acknowledgement ends and the rest of a message begins: "收到,但…", "好的 明天…".
_CLAUSE_BREAK = re.compile(r"[,.!;:~、。…\s]+")
_REPLY_ONE_ONLY = re.compile(rf"{_REPLY_ONE}")


@lru_cache(maxsize=256)
def ack_pattern(extra_words: tuple[str, ...] = ()) -> re.Pattern[str]:
    """The compiled grammar for the built-in words plus a group's own (already normalized)."""
    return _pattern(ACK_WORDS + extra_words)


@lru_cache(maxsize=256)
def _word_hint(extra_words: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Any acknowledgement word: the grammar holds one, and text without any needs no full try."""
    words = sorted({w.lower() for w in ACK_WORDS + extra_words if w.strip()}, key=len)
    return re.compile("|".join(re.escape(w) for w in words) + "|1")


def ack_rule(text: str, extra_words: tuple[str, ...] = ()) -> str | None:
    """The rule that makes normalized `text` a pure acknowledgement, or None.

    `extra_words` are a group's own acknowledgement words, normalized and lower-cased.
    """
    if len(text) > 2 * _MAX_CHARS:
        return None
    lowered = text.lower()
    decorations = _DECORATION.findall(lowered)
    words = _DECORATION.sub(" ", lowered).strip() if decorations else lowered
    if not words:
        if decorations and all(
            d in _ACK_EMOJI or d in _ACK_EMOTICONS or d in _MODIFIERS for d in decorations
        ):
            return "ack:emoji-only"
        return None
    if len(words) > _MAX_CHARS or _NEGATION.search(words):
        return None
    if not _word_hint(extra_words).search(words) or not ack_pattern(extra_words).fullmatch(words):
        return None
    return "ack:whole-message-ack"


def opens_with_ack(text: str, extra_words: tuple[str, ...] = ()) -> bool:
    """Whether normalized `text` opens with an acknowledgement and goes on to say more
    ("收到,但第三行数据有误", "好的 明天的会我请假"): its sender has acknowledged, and the rest is
    for the requester to read. A bare "1" opens lists and numbers ("1. 张三", "1 号楼"), not this.
    """
    for found in _CLAUSE_BREAK.finditer(text, 0, _MAX_CHARS + 1):
        head, rest = text[: found.start()], text[found.end() :]
        if not rest:
            return False
        if head and not _REPLY_ONE_ONLY.fullmatch(head) and ack_rule(head, extra_words):
            return True
    return False
