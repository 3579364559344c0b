"""Label a work-group message: urgent, ack, rollcall, demand_reply, data_request, notice, chat.

Rules are written for the language of work groups, over normalized text: a request is read from
who is asked (请, 麻烦, 各村, @someone), what they must do (报送, 回复, 接龙) and what about (名单,
台账, 人数); an announcement from what it announces (meetings, documents, schedule changes).
Clauses that deny a demand (无需回复, 不得要求…填报) or speak for oneself (我明天去…) do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from policies.ack import ack_rule, opens_with_ack
from policies.classification import Classification
from policies.deadlines import find_deadline_normalized
from policies.group_policy import DEFAULT_URGENT_MARKERS, GroupPolicy
from policies.labels import Label
from policies.normalize import normalize
from policies.rollcall import parse_normalized
from policies.urgency import find_urgent_marker


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    """A group's additions to the built-in vocabulary (any script or width; normalized here)."""

    extra_urgent_markers: tuple[str, ...] = ()
    extra_ack_words: tuple[str, ...] = ()

    @classmethod
    def from_policy(cls, policy: GroupPolicy) -> ClassifierConfig:
        """The markers beyond the built-in set and the group's own acknowledgement words."""
        built_in = {normalize(m).lower() for m in DEFAULT_URGENT_MARKERS}
        extra = tuple(m for m in policy.urgent_markers if normalize(m).lower() not in built_in)
        return cls(extra_urgent_markers=extra, extra_ack_words=tuple(policy.ack_words))


DEFAULT_CONFIG = ClassifierConfig()

# "8:30" stays one clause. Written so that the engine scans runs of ordinary characters fast:
# Python's regex engine skips ahead quickly only where every top-level alternative starts with a
# literal character (or the pattern with a character class), which the patterns below keep to.
_CLAUSE = re.compile(r"[^,。;:!?\n]+(?:(?<=\d):(?=\d)[^,。;:!?\n]*)*|(?<=\d):(?=\d)[^,。;:!?\n]*")
_URL = re.compile(r"(?:https?://|www\.)\S+")
_SENTENCE = re.compile(r"[^。!?\n]+[。!?]*")
_QUESTION = re.compile(
    r"\?|吗|呢[。!.~]*$|么[。!.~]*$|吧[。!.~]*$|没有?[。!.~]*$|有没有|是不是|能不能|会不会|要不要|"
    r"可不可以|谁|几点|什么时候|多久|怎么办|在哪|哪里|哪儿|"
    r"有冇|系咪|得唔得|点解|边个|几时"  # Cantonese
)

# --- demand_reply -----------------------------------------------------------------------------
_QUOTE = r"[\"'“”‘’「」『』]?"


def _each(starts: str, rest: str) -> str:
    """`(?:a|b)rest` written as `arest|brest`, so every alternative starts with a literal."""
    return "|".join(f"{start}{rest}" for start in starts.split("|"))


# 覆 is Cantonese and Taiwanese for reply (請覆, 覆個1, 覆返), except in 覆盖 (cover) and the like.
_REPLY_VERB = r"(?:回复|答复|覆(?![盖灭没辙核议审]))"
# Forms of "reply" that are themselves an order: 回一下, 回个收到, 扣1, 回个讯息; not 撤回一下.
_NOT_BEFORE_REPLY = "(?<![我撤收退返召挽追寄带发那]{0})"
_IMPERATIVE_REPLY = "|".join(
    (
        f"回{_NOT_BEFORE_REPLY.format('回')}"
        f"(?:个?{_QUOTE}[1一]{_QUOTE}|个?{_QUOTE}收到|一下|个话|个?(?:讯息|信息|消息))",
        f"覆{_NOT_BEFORE_REPLY.format('覆')}(?:个?{_QUOTE}[1一]{_QUOTE}|个?{_QUOTE}收到)",
        f"扣{_NOT_BEFORE_REPLY.format('扣')}个?{_QUOTE}[1一]{_QUOTE}",
        f"打{_NOT_BEFORE_REPLY.format('打')}个?{_QUOTE}[1一]{_QUOTE}",
        r"\+1|吱一声|说一声|报个到",
    )
)
_REPLY = rf"(?:{_REPLY_VERB}|{_IMPERATIVE_REPLY}|确认收到|确认已收到|确认已阅)"
# A bare 回 ending the clause: 看到回, 收到回哈.
_BARE_REPLY = r"回(?=$|[,。!.~ 啊哈呀吧哦])"
_DEMANDS = (
    (
        "reply-on-receipt",
        r"(?:收到|看到|看完|睇到|睇完|阅后|知悉|完成|完毕|办完|结束后|到位后)[^,。;!?\n]{0,12}?"
        # 收到请回报 (Taiwan); 回报 with data named is a report
        rf"(?:{_REPLY}|回报|{_BARE_REPLY})",
    ),
    # 转完回复一下, 学习后在群里回复: a reply once something is done.
    (
        "reply-when-done",
        rf"(?:后|完(?![善整全美成备]))[^,。;!?\n]{{0,6}}?(?:{_REPLY}|在群里报一下|群里报一下)",
    ),
    # 还有两个村没回复 / 未回复名单 / 还差5人没接龙: chasing those who have not replied yet.
    (
        "chase",
        r"(?:还没|尚未|还未|没有|没|未)(?:回复|回覆|回(?![来去家到村城国京乡头])|接龙)(?!我)"
        r"|(?:还差|就差|只差)你们",
    ),
    (
        "asked-to-reply",
        r"(?:请|务必|必须|一定|都要|需要|及时|尽快|抓紧|马上|立即|立刻|速|并|唔该|麻烦)"
        rf"[^,。;!?\n]{{0,20}}?(?:{_REPLY}|确认回复)",
    ),
    ("imperative-reply", _IMPERATIVE_REPLY),
    ("instant-reply", r"秒回|速回|回复速度"),
    (
        "reply-in-group",
        r"(?:在群里|在群内|群里|在群组|群组)(?:内|里)?"
        r"(?:说一声|吱一声|报个?平安|冒个泡|回个话|回报|报一下)|报个?平安",
    ),
    # 10分钟内回复, 半小时内回, 一个钟内覆
    (
        "reply-within",
        r"(?:\d{1,3}|[一二两三四五六七八九十半]{1,3})个?(?:分钟|小时|钟)(?:之内|内)[^,。;!?\n]{0,10}?"
        r"(?:回复|答复|反馈|回(?!报)|覆)",
    ),
    (
        "join-chain",
        r"(?:请|大家|各位|全员|全体|都|在群里|在群内|抓紧|尽快|赶紧)[^,。;!?\n]{0,20}?"
        r"接龙(?!的|小程序|名单|表|链接)|接龙(?:报名|确认|登记|回复|签到)",
    ),
    (
        "english",
        r"(?:please|pls|plz|kindly)\s+(?:reply|respond|confirm|acknowledge|ack)\b"
        r"|reply\s+(?:asap|immediately|within|by|with|if|here|to (?:this|confirm)"
        r"|\"?1\b|\"?ok\b|\"?received\b)"
        r"|still waiting for (?:replies|responses|your repl)"
        r"|(?:have not|haven't|not yet) (?:replied|responded)",
    ),
)
# Every demand pattern holds one of these: a clause without any is passed over cheaply (the
# joined pattern has no literal to skip ahead by, so it is slow to run over text that cannot match).
_DEMAND_HINT = re.compile(
    r"回|覆|扣|吱|秒|速|龙|打|说一声|报个到|报一下|平安|冒个泡|确认|差你们|reply|respond|repl|confirm|ack"
)
_DEMAND = re.compile("|".join(f"(?P<{name.replace('-', '_')}>{p})" for name, p in _DEMANDS))
_NO_REPLY_NEEDED = re.compile(
    _each(
        "无需|不用|不必|不需|勿|不要|免|别|毋须",
        r"要?(?:再)?(?:在群组|在群|群)?(?:里|内)?(?:回复|回|答复|覆)",
    )
    + r"|看到即可|知悉即可|阅知即可|已读即可|"
    r"看到就行|看到就好|知悉就行|"
    r"no need to reply|no reply needed|do not reply|don't reply"
)
_DENIED = re.compile(
    r"不得|严禁|禁止|不要求|不再|避免|杜绝|反对|无需|不用|不必|不需要?"
    r"|don't|do not|never"
)
# 不用接龙 turns down a chain only: 收到回复就行，不用接龙 still asks for replies.
_NO_CHAIN_NEEDED = re.compile(r"(?:无需|不用|不必|不需要?|勿|不要|免)(?:再)?接龙")
# 收到请回复这种话…: the phrase is quoted as a topic, not demanded.
_QUOTED_AFTER = re.compile(r"[\"”']?(?:这种|这类|之类|这样的|这些)")
_INSTANT = re.compile(
    r"秒回|速回|立即回复|立刻回复|马上回复|第一时间回复|回复速度"
    r"|(?:(?P<minutes>\d{1,3})|(?P<cn>[一二两三四五六七八九十]{1,3})|(?P<half>半))个?"
    r"(?P<unit>分钟|小时)(?:之内|内)[^,。;!?\n]{0,10}?(?:回复|答复|反馈|回)"
)

# --- data_request -----------------------------------------------------------------------------
# Python's regex engine skips ahead fast only through a pattern made purely of literal
# alternatives; so each family is a fast literal pattern plus, where needed, a small one for the
# forms that need context, and conditions that need context are checked after a match.
_ASKED = re.compile(
    r"请|麻烦|烦请|唔该|务必|要求|需要|需提交|须提交|需准备|须准备|需携带|须携带|需提供|须提供|尽快|抓紧|"
    r"记得|@|把|将|各|大家|你们|你哋|同仁|留痕|备查|群里|到群|上群|本群|完成后|"
    r"谁还没交|没交的|未交的|"
    r"pls|please|kindly|reminder|everyone|all staff|could|can you|would you|each |need |"
    r" due|bring| the group|send me|send us|let me know|update your"
)
_REPORT_VERB = re.compile(
    r"报送|上报|填报|核报|提报|报上来|报上去|报一下|报过来|报给|报至|报返|汇总|汇整|彙整|收齐|摸底|摸排|"
    r"摸一下底|摸个底|采集|填写|填一下|填好|填答|填返|上传|上载|截图|截个图|截张图|截屏|拍照|影低|影相|"
    r"发回|回传|统计|提交|递交|缴交|缴回|交返|问卷|报个数|报数|拍几张|拍一些|拍些|补报|补交|补录|补填|"
    r"报俾|报畀|准备以下|准备下列|准备如下|准备好以下|"
    r"fill in|fill out|submit|upload|send me|send us|send in|send back|report the|report your|"
    r"email me|email us|email your|email the|mail me|questionnaire|survey|share the|share your|"
    r"let me know the|let me know your|let us know your|update your|reply with your|reply with the|"
    r"are due|is due"
)
# 统计 is a verb of reporting, except for an office (统计站) or the asker's own work (方便我统计).
_STATISTICS_OFFICE = re.compile(r"局|站|员|部门")
# 方便我统计, 我要统计, 县里在统计: the asker's or someone else's work, not a request.
_OWN_STATISTICS = re.compile(r"(?:我|我要|我来|方便|便于|以便|在)$")
_TO_OFFICE = (
    r"[^,。;!?\n]{0,4}?(?:办|站|科|课|所|中心|局|处|股|部|室|委|组|里|主任|组长|老师|会计|姑娘)"
)
# Each alternative starts with its own literal, which keeps the regex engine's fast skip-ahead.
_TRANSFER_VERB = re.compile(
    r"发我|发给|发送给|发到|发至|发群里|发在群里|发过来|发上来|发一下|传上来|交至|交到|交给|上交|"
    r"交上来|交过来|交一下|交一份|报一份|发一份|提供|给我|回复|反馈|回报|私信|私发|录入|更新|登记|造册|填在|填到|填入|"
    # Cantonese and Taiwanese: 交俾我, send俾我, send落群, 发返落嚟, 覆返, 寄到我的信箱, 传到群组
    r"交回|交俾|交畀|俾我|畀我|send|发返|覆|寄到|寄给|寄回|传到|传给|放上群|发群|告诉我|告知|话俾我知|"
    r"完善|补充|核对|携带|带齐|备齐|带过来|带来|登录|交去|送去|发去|报去|"
    r"email|provide|bring|post |give us|give me|"
    rf"报(?![名销道告警表纸到社刊喜修批案价考了过去]){_TO_OFFICE}|报到{_TO_OFFICE}|"
    rf"交(?![流通警叉换易际往谈代界接办付]){_TO_OFFICE}|"
    rf"发(?![布放生现展言热文起动出挥扬行售酵货病])(?:给|至|到)?{_TO_OFFICE}|"
    rf"送(?:至|到|交)?{_TO_OFFICE}"
)
_YES_NO = re.compile(r"是否|能否|有没有|是不是")  # 回复是否… asks for a yes or no, not data
# 看到请回复 asks for an acknowledgement; 未回复名单 lists who has not replied.
_NOT_SENDING_BEFORE = re.compile(
    r"(?:收到|看到|看完|阅后|知悉)[^,。;!?\n]{0,3}$|(?:未|没|没有|还没|尚未)$"
)
# Rules look back from a match only this far (the longest look-back pattern is shorter), so a
# long line costs linear work: a search from the start of the text before every match would not.
_LOOK_BACK = 8
_YES_NO_WINDOW = 16  # 回复是否…: the question follows the verb closely
# Verbs that send data only when a group is asked: 请各位把时数填在表单里, not 请把电话填在最后一栏
# (how to fill one form) nor 请各科室改用手工登记 (no data named after 登记).
_GROUP_VERBS = frozenset(
    {"填在", "填到", "填入", "登记", "更新", "录入", "造册", "完善", "补充", "核对", "登录"}
)
_REPLY_VERBS = frozenset({"回复", "反馈", "回报", "覆"})
_GROUP_ASKED = re.compile(r"各|大家|全体|所有|每位|每个|每人|共享|在线|系统|平台|everyone|each")
_OBJECT_FIRST = re.compile(r"把|将")  # 把成绩录入系统: the data comes before the verb
# 未回复名单 names who has not replied, not data to send.
_UNREPLIED = re.compile(r"(?:未|没|没有)(?:回复|接龙|报送?|上报|交)的?$")
_DATA = re.compile(
    r"名单|花名册|台账|清单|表|册|照片|图片|截图|信息|数据|情况|情形|人数|户数|数量|数|亩|面积|编号|范围|"
    r"材料|回执|明细|地址|电话|名字|姓名|手机|联络|车牌|底册|档案|资料|进度|结果|报告|总结|方案|单据|票据|发票|凭证|证明|"
    r"号码|身份证|联系方式|账号|账户|记录|纪录|计划|反思|心得|教案|课件|纪要|简报|预算|需求|成绩|行程|卡号|时数|收入|执照|证书|"
    r"同意书|意见|建议|影本|复印件|原件|户口本|出勤|考勤|开支|几多|多少|视频|录像|时长|尺码|"
    r"list|form|data|photo|sheet|report|log|timesheet|certificate|figures|number|headcount|details|"
    r"id\b(?<!\wid)|mobile|availability|claims|records|documents|inventory|hours|screenshot|plans|"
    r"contacts|sizes|minutes"
)
# Words that name no data here: 代表, 表彰 (no form); 回个电话, 电话回复 (a call, not a number).
_NOT_DATA = re.compile(
    r"[代发外仪手钟电]表|表[彰扬示演达态决现率]|[回打来通接]个?电话|电话(?:回复|联系|告知)"
)
# 已经报了, 已上报: done; but 已脱贫户, 已婚妇女 are nouns.
# 在群里回复本人姓名 acknowledges by name; it reports no data.
_REPLY_NAME = re.compile(r"(?:回复|回)(?:本人|自己的?|你的)?$")
_REPORTED_BEFORE = re.compile(r"已经|刚刚|刚才|早就|已(?:把|将|报|交|发|填|汇|统|上|传|送|录|提|$)")
# 我跟大家说一下…: the sender speaking, not doing the task.
_SPEECH_ACT = re.compile(
    r"我(?:再|来)?(?:跟|和|给|向)?(?:大家|你们|各位)?(?:说|讲|通知|强调|提醒|重申)(?:一下|一声)?"
)
# Denials of a request before its verb: 切勿提供个资, 不得要求重复填报 (but 不要忘了交表 asks).
_DENIED_REQUEST = re.compile(rf"{_DENIED.pattern}|勿|不要(?!忘)|别(?!忘)")
# 各村明天交, 本周五前报: a bare 交 or 报 ending a clause, with data named before it and a time.
_BARE_VERB = re.compile(r"(?:交|报|交一下|交上来|交返|报返|交俾我)[啊哈呀吧哦喔呢]?$")
_WHEN = re.compile(
    r"今天|今日|今晚|明天|明日|明早|后天|听日|本周|这周|下周|周[一二三四五六日天]|星期|礼拜|月底|月初|月中|"
    r"前|下班|中午|上午|下午|晚上|尽快|马上|立即|务必|抓紧|"
    + "|".join(f"{unit}(?<=[\\d一二两三四五六七八九十]{unit})" for unit in "点号日")
)
# 请问表格交给谁, 材料要交到哪里: a question about where data goes asks for none (谁还没交 does).
_ASKS_WHO_OR_WHERE = re.compile(r"谁(?!还没|没)|哪里|哪儿|哪个|哪些|哪位|什么|怎么|几份")
_EN_WH = re.compile(r"where|who|which|what")  # only in a question: "staff who cannot attend"
_QUESTION_END_CHARS = 4
# 报表可能要晚点交: the sender's own delay, not a request.
_NOT_NOW = re.compile(r"可能|估计|晚点|迟点|晚些|等下|等会|一会|还没|再交|再报|再发")
# 我 as the one who acts (那我把材料送到党政办), not the one sent to (发给我) nor an
# institution (我镇).
_SELF_SUBJECT = re.compile(r"我(?<![给发信找向和跟]我)们?(?![镇院校局所县市区乡村部办委])")
_DATA_WINDOW = 30  # how far from the verb the data may be named: 把…名单…发我
_TITLE_CHARS = 60  # the longest document title looked back over
_LIST_INTRO = re.compile(
    r"(?:携带|提交|准备|提供|上交|带齐|备齐|bring|submit|provide)[^,。;!?\n]{0,12}:\n"
)
_LIST_CHARS = 80
_CLAUSE_CHARS = 60  # the longest clause looked over around a verb
# A chain whose topic counts something (各村今日转移人数接龙) reports figures.
_FIGURES = re.compile(
    r"人数|户数|数量|人次|数据|情况|进度|多少|数接龙|数统计|headcount|numbers|figures"
)
# ... but counting who takes part (参加培训人数接龙) is a sign-up.
_TAKING_PART = re.compile(r"参加|参训|参会|报名|出席|培训")

# --- proof_demand ----------------------------------------------------------------------------
# A screenshot, photo or video taken to show something was done (截图发群里, 拍照留痕) ...
_PROOF_MEDIA = re.compile(
    r"截图|截屏|截个图|截张图|截一下图|截下来|拍照|拍个照|拍张照|拍视频|拍一段视频|拍段视频|拍个视频|"
    r"录视频|录个视频|录屏|录像|照片|相片|图片|视频|合影|合照|影低|影相|拍几张|"
    r"screenshot|screen shot|photo|picture|video|selfie"
)
# ... kept as a trace or evidence (留痕, 佐证, 备查, a time watermark) ...
_PROOF_PURPOSE = re.compile(
    r"留痕|存证|佐证|备查|为证|证明已|水印|痕迹|留底|留存|作为[^,。;!?\n]{0,8}(?:依据|凭证|证明)|"
    r"as proof|as evidence|proof of|for the record"
)
# ... or of a deed done: studied, watched, forwarded, followed, liked, visited, took part.
_PROOF_DEED = re.compile(
    r"学习|学完|观看|收看|收听|看完|睇完|听完|转发|转完|转载|分享|点赞|按赞|集赞|关注|投票|下载|注册|签到|"
    r"打卡|参加|参与|完成|做完|填完|答完|走访|入户|家访|随访|巡查|巡河|巡逻|宣讲|宣导|发放|活动|培训|课程|清理|整治|"
    r"整改|志愿|宣传(?![册片栏画品标])|派传单|派单张|慰问|探望|看望|帮扶|会议|开会|讲座|听课|上课|研习|"
    r"watch|retweet|share(?!d)|like and|follow (?:our|the|my)|attend|visit|complet|training|"
    r"campaign"
)
# A photo of a document is a copy of data (签字表拍照发我, 营业执照拍照), not proof of a deed.
_DOCUMENT_BEFORE = re.compile(
    r"(?:表|签字|签名|证|执照|协议|合同|发票|单据|回执|复印件|名单|花名册|台账|form|card)\s?$"
)
# Every forward-and-report holds one of these.
_SHOW_HINT = re.compile(r"转发|转完|分享|关注|点赞|按赞|retweet|share|follow|like|回复")
# Forward, follow or like something and report back that it was done (转发后回复"已转发").
_SHOW_DONE = re.compile(
    r"(?:转发|转完|分享|关注|点赞|按赞|retweet|share|follow|like)[^。!?\n]{0,16}?"
    r"(?:后|完|好|以后|之后|then|and)[^,。;!?\n]{0,8}?"
    r"(?:回复|回一下|报一下|说一声|接龙|reply|let me know)"
    rf"|回复{_QUOTE}已(?:转发|分享|关注|点赞|学习|观看)"
)

# --- notice -----------------------------------------------------------------------------------
_NOTICE_WORDS = re.compile(
    # meetings and events
    r"召开|举行|举办|工作重点|重点工作|工作要点|工作计划|工作部署|具体要求|有关事项|"
    r"观看|收看|参观|观摩|注意安全|注意防范|注意防暑|注意保暖|党课|坐诊|义诊|"
    r"活动时间|活动地点|地点在|地点为|地点:|停课|复课|开学|集合|出席|参会|列席|"
    r"仪式|典礼|升旗|运动会|联欢|晚会|竞赛|分组|"
    # documents and announcements
    r"通知|公告|通告|通报|公示|温馨提示|请知悉|予以知悉|周知|特此|提醒|发布|预警|如下|将于|定于|拟于|"
    # schedules and changes
    r"安排|调整|改为|改在|改到|改期|取消|推迟|提前到|延期|暂停|恢复|停业|停诊|"
    r"维护|停机|上线|封闭|开放|关闭|封路|绕行|搬迁|迁址|时间为|时间表|作息|实行|施行|"
    r"迎检|迎审|调休|补班|大扫除|一律|严禁|禁止|须提前|需提前|自行领取|前来领取|领取时间|领取地点|自取|取件|"
    r"供餐|停餐|正常上班|"
    r"照常上班|正常办公|不办公|不要求|不再要求|"
    r"气象台|天气预报|"
    r"门诊时间|办公时间|开放时间|营业时间|服务时间|接种时间|办事时间|受理时间|"
    r"fyi|reminder|notice|announcement|meeting|will be held|please note|heads up|heads-up|"
    r"dear all|will close|will be closed|will open|will start|rescheduled|moved to|"
    r"inspection|power cut|outage|maintenance|take effect|takes effect|take place|takes place|"
    r"forwarded from|forwarded message|fwd:|fw:|circular|guidelines|collect them|collect your|"
    r"will move|will be moved|from monday|from next|starting from|effective from|"
    r"ready for collection|"
    r"schedule|arrive|training|workshop|postpone|cancel|closed"
)
# Topics that announce only when the clause says when or to whom (明天停电, 请各位参加培训), not
# in talk about them (今天又加班, 上班好累, 开会去了).
_TOPIC_WORDS = re.compile(
    r"会议|例会|大会|开会|讲座|培训|演练|考试|检测|放假|比赛|停水|停电|检修|维修|施工|装修|值班|带班|"
    r"督查组|检查组|督导组|巡察组|进驻|验收|上班|加班|暴雨|大风|降温|寒潮|台风|降雪|冰冻|强降雨|雷雨|冰雹|大雾"
)
_TOPIC_CUE = re.compile(
    r"今天|今日|今晚|明天|明日|后天|本周|这周|下周|周[一二三四五六日末]|星期|礼拜|0|1|2|3|4|5|6|7|8|9|"
    r"点|号|日|月|"
    r"上午|下午|晚上|早上|起|期间|将|拟|请|各位|大家|全体|各|同志|同事|注意|做好|提前|准时|按时|务必|"
    r"[须需]|地点|安排|于|由|全镇|全村|全校|全院|本|有|元旦|春节|国庆|中秋|五一|清明|端午|假期|节日|"
    r"年底|月底|之前|前完成"
)
_TOPIC_TALK = re.compile(
    r"又|天天|好累|累|烦|去了|路上|终于|真|太|了$|好长|好久|好冷|好热|好闷|无聊"
)
_NOTICE_PHRASES = re.compile(
    "|".join(
        (
            r"会(?<=[作务周题体工调度推进协调座谈部署动员总结表彰专晨班]会)(?!计)",
            r"参加(?!不|[^,。;!?\n]{0,10}的(?:人数|人员|名单|情况))",
            _each("开展|举办|举行|组织|进行", r"[^,。;!?\n]{0,12}活动"),
            _each(
                "开展|组织|进行",
                r"[^,。;!?\n]{0,12}(?:工作|行动|检查|排查|走访|宣传|培训|慰问|整治|演练|教育|督导|督查|"
                r"调研|巡察|验收|评估|考核)",
            ),
            # 即日起, 下周一开始, 3月1日起
            _each("即日|明天|明日|下周|本周|下月|下个月", r".?(?:起|开始)"),
            "|".join(f"{end}(?<=\\d{end})" for end in ("日起", "日开始", "号起", "号开始")),
            r"来[^,。;!?\n]{0,6}(?:检查|调研|督查|督导|指导|考察|视察|听课|授课|坐诊)",
            r"听[^,。;!?\n]{0,3}课",
            r"由[^,。;!?\n]{1,8}负责",
            r"欢迎(?:大家|各位|广大)",
            # 请到党政办领取, 到一楼大厅领取: where to collect something
            r"到[^,。;!?\n]{0,8}领取",
        )
    )
)
_FORWARD_HINT = re.compile(r"转|fw|forwarded")
# A forwarded notice's header: 转市卫健委:, 转自县委组织部:, Fwd:, Forwarded from HR:.
_FORWARD_HEADER = re.compile(
    r"(?:^|\n)(?:转发|转自|转来|转载|转知|转贴|转)[^,。;!?\n:]{1,12}:|(?:^|\n)fwd?:"
    r"|forwarded (?:from|message)"
)
_NOTICE_WEAK = re.compile(
    r"文件|附件|转发[:《]|转发[^,。;!?\n]{0,12}(?:通知|文件|《)|学习|《|自学|转告|查看|下载|群公告|"
    r"解读|大家看看|大家可以看看|大家有空看看|各位看看|供参考|供大家参考|请参阅|详见"
)
# A timetable: 8:30-11:30 (looked for only in text with a colon).
_TIME_RANGE = re.compile(r"\d{1,2}:\d{2} ?[-~至到] ?\d{1,2}:\d{2}")
# 这个文件, 那条通知: one being talked about.
# 收到的通知里…: one received, not announced here.
_TALKED_ABOUT = re.compile(r"(?:这个|那个|这份|那份|这条|那条|这则|那则|收到的|看到的)$")
_TALKED_ABOUT_CHARS = 3
# First person speaks for oneself (我明天去…), unless it is an institution (我镇, 我院).
_PERSONAL = re.compile(
    r"我(?![镇院校局所县市区乡村部办委])|i\b(?<!\wi)|my\b(?<!\wmy)|刚看到|刚刚看到|刚才看到|听说"
    # 没收到通知, 冇收到份文件, 看不懂: what the sender did not get
    r"|没收到|冇收到|未收到|没看到|冇睇到|看不懂|打不开"
)
# A message opening with an acknowledgement is a reply (收到，明天派人去), not an announcement.
_REPLY_OPENING = re.compile(
    r"(?:已经收到|已收到|收到|收悉|好的|明白|了解|已阅|知道了|ok|okay|noted|received)(?![请后的回])"
)
# In a message that demands replies, these clauses are part of the demand, not an announcement.
_SUPPORTING = re.compile(r"确认|是否|能否|回复|相互提醒|互相提醒")
# A task given to everyone (请各村立即组织…, 各村立即转移…) announces something even beside a
# request.
_TASK_DONE = (
    r"[^,。;!?\n]{0,20}?"
    r"(?:做好|组织|开展|落实|通知|准备|加强|确保|参加|前往|在岗|到岗|配合|执行|注意|关注|学习|转告|转发|"
    r"排查|巡查|清理|整改|暂停|停止|撤离|转移)"
)
_TASK = re.compile(
    _each("请|要求|务必", rf"(?:各|全体|所有|大家|全镇|全院|全校|全员){_TASK_DONE}")
    + rf"|各[一-龥]{{1,5}}?(?:立即|立刻|马上|迅速|即刻|务必|必须|要){_TASK_DONE}"
)
# Any instruction to everyone (请大家…, 全体人员…) announces something in a message that asks
# for no reply and no data; beside such a request it is only who is asked.
_TO_EVERYONE = re.compile(
    _each("请|要求|务必", "(?:各|全体|所有|大家|全镇|全院|全校|全员)") + r"|各位注意|请注意|"
    r"全体(?:人员|职工|干部|党员|老师|同事|同志|教师|医护)|所有人员|"
    r"please (?:remember|make sure|ensure|note|be reminded)|all staff|everyone (?:please|must)"
)


# 会开得挺好, 加班的同事辛苦了: a comment on what happened, or thanks, announces nothing.
_COMMENT = re.compile(
    r"得挺|得很|得真|得太|得非常|得特别|得不错|得好|辛苦了|辛苦啦|辛苦大家|辛苦各位|谢谢|感谢|多谢"
)
_AFTERTHOUGHT_CHARS = 8
_PURPOSE = re.compile(r"\s*(?:好|以便|便于|方便|用于|用来|为了|so that|so we)")
# 有意向参加培训的村民，请私信我…: the clause says who is asked, it announces nothing.
_AUDIENCE = re.compile(
    r"\s*(?:有意向|有意愿|有兴趣|需要|想|愿意|自愿)[^,。;!?\n]*的[一-龥]{0,4}\s*"
)
# 发错群了，请忽略: a message withdrawn as misposted announces nothing.
_MISPOSTED = re.compile(
    r"(?:发错|误发|贴错)[^。!?\n]{0,10}(?:忽略|抱歉|不好意思|sorry)"
    r"|(?:忽略|抱歉|不好意思)[^。!?\n]{0,10}(?:发错|误发|贴错)"
    r"|(?:发错|贴错|发串)了?(?:群|地方)|(?:wrong|another|different) (?:group|chat)"
)
_MISPOSTED_HINT = re.compile(r"发错|误发|贴错|发串|wrong|another|different")


def _clauses(text: str) -> list[str]:
    return _CLAUSE.findall(text)


def _demand(text: str) -> str | None:
    """The rule that finds a demand for individual replies, or None."""
    if not _DEMAND_HINT.search(text) or _NO_REPLY_NEEDED.search(text):
        return None
    no_chain = _NO_CHAIN_NEEDED.search(text)
    for clause in _clauses(text):
        denial = _DENIED.search(clause)
        if not _DEMAND_HINT.search(clause):
            continue
        for match in _DEMAND.finditer(clause):
            rule = (match.lastgroup or "").replace("_", "-")
            if (
                (denial and denial.end() <= match.start())
                or _QUOTED_AFTER.match(clause, match.end())
                or (no_chain and rule == "join-chain")
                or (rule == "chase" and clause.endswith("我", 0, match.start()))  # 我还没回复他
            ):
                continue
            return f"demand_reply:{rule}:{match[0]}"
    return None


def _is_instant(text: str) -> bool:
    """Whether the demanded reply is due within the hour: 秒回, 速回, 20分钟内回复, 半小时内回复."""
    for match in _INSTANT.finditer(text):
        if match["unit"] is None:
            return True
        if match["unit"] == "分钟":
            return not match["minutes"] or int(match["minutes"]) <= 60
        return bool(match["half"]) or match["minutes"] == "1" or match["cn"] == "一"
    return False


def _names_data(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] names data to send: a list, a form, a count, photos."""
    return any(
        not _NOT_DATA.search(text, match.start() - 2, match.end() + 2)
        and not _UNREPLIED.search(text, max(0, match.start() - 5), match.start())
        and not (
            match[0] in ("姓名", "名字")
            and _REPLY_NAME.search(text, max(0, match.start() - 6), match.start())
        )
        for match in _DATA.finditer(text, start, end)
    )


def _sends_data(text: str) -> Iterator[re.Match[str]]:
    """Verbs of sending (发我, 报民政办, 回复) with data named near them (名单, 人数, 照片)."""
    group_asked: bool | None = None
    for match in _TRANSFER_VERB.finditer(text):
        # 转发给村民 forwards a notice, it sends no data
        if text.endswith("转", 0, match.start()) or (
            match[0] in ("回复", "反馈")
            and (
                _YES_NO.search(text, match.end(), match.end() + _YES_NO_WINDOW)
                or _NOT_SENDING_BEFORE.search(
                    text, max(0, match.start() - _LOOK_BACK), match.start()
                )
            )
        ):
            continue
        before = max(0, match.start() - _DATA_WINDOW)
        if match[0] in _GROUP_VERBS:
            # 把成绩录入系统, 各社区…明细本周内录入系统: the data comes before the verb
            object_first = _OBJECT_FIRST.search(text, before, match.start()) or _GROUP_ASKED.search(
                text, before, match.start()
            )
            start = before if object_first else match.end()
            if group_asked is None:
                group_asked = _GROUP_ASKED.search(text) is not None
            if group_asked and _names_data(text, start, match.end() + _DATA_WINDOW):
                yield match
            continue
        # 把这个视频转发到朋友圈，转完回复一下: the reply says it was forwarded, it sends no data
        if match[0] in _REPLY_VERBS and _SHOW_DONE.search(text, before, match.end()):
            continue
        if _names_data(text, max(0, match.start() - _DATA_WINDOW), match.end() + _DATA_WINDOW):
            yield match


def _sends_somewhere(clause: str) -> bool:
    """Whether the clause names where something goes (交班主任, 报民政办), data named or not;
    转发县民政局通知 forwards a notice."""
    return any(
        m[0] not in _GROUP_VERBS and not clause.endswith("转", 0, m.start())
        for m in _TRANSFER_VERB.finditer(clause)
    )


def _reports(text: str) -> Iterator[re.Match[str]]:
    """Verbs of reporting (报送, 填报, 统计, submit), not about a statistics office."""
    for match in _REPORT_VERB.finditer(text):
        if match[0] != "统计" or not (
            _STATISTICS_OFFICE.match(text, match.end())
            or _OWN_STATISTICS.search(text, max(0, match.start() - _LOOK_BACK), match.start())
        ):
            yield match


def _data_request(text: str) -> str | None:
    """The rule that finds a request to report data, or None."""
    asked = _ASKED.search(text) is not None
    for sentence in _SENTENCE.findall(text):
        if _asks_who_or_where(sentence):
            continue
        denial = _Denial(sentence)
        if asked:
            for match in _reports(sentence):
                if _requested(sentence, match.start(), denial):
                    return f"data_request:report-verb:{match[0]}"
            for match in _sends_data(sentence):
                if _requested(sentence, match.start(), denial):
                    return f"data_request:send-data:{match[0]}"
        if (
            ("交" in sentence or "报" in sentence)
            and (bare := _bare_verb(sentence))
            and _requested(sentence, bare.start(), denial)
        ):
            return f"data_request:bare-verb:{bare[0]}"
    # 办理证件需携带:\n1. 身份证原件…: the data are the lines of the list the verb introduces
    if (
        ":\n" in text
        and (intro := _LIST_INTRO.search(text))
        and _names_data(text, intro.end(), intro.end() + _LIST_CHARS)
    ):
        return f"data_request:list-of-materials:{intro[0].strip()}"
    return None


def _asks_who_or_where(sentence: str) -> bool:
    """Whether the sentence asks where data goes or who takes it (表格交给谁?), asking for none."""
    ends = sentence.rstrip()
    if ends.endswith("?"):
        return bool(_ASKS_WHO_OR_WHERE.search(ends) or _EN_WH.search(ends))
    # 材料要交到哪里啊: the question word ends it (管哪个网格, 去哪里 name fields of the data)
    return bool(_ASKS_WHO_OR_WHERE.search(ends, max(0, len(ends) - _QUESTION_END_CHARS)))


def _bare_verb(sentence: str) -> re.Match[str] | None:
    """A clause ending in a bare 交 or 报 (各村明天交), data named before it, in a sentence that
    says when (本周五前报) and is no question."""
    if _QUESTION.search(sentence) or not _WHEN.search(sentence):
        return None
    sender = _SELF_SUBJECT.search(sentence)  # 我们村…报表晚点交: the sender's own
    for clause in _CLAUSE.finditer(sentence):
        stop = clause.start() + len(clause[0].rstrip("。!.~ "))
        match = _BARE_VERB.search(sentence, max(clause.start(), stop - 6), stop)
        if (
            match
            and not _NOT_NOW.search(clause[0])
            and not (sender and sender.start() < match.start())
            and _names_data(sentence, max(0, match.start() - _DATA_WINDOW), match.start())
        ):
            return match
    return None


class _Denial:
    """Where a sentence's first denial of a request ends (切勿提供个资), looked for once, and only
    when a verb is there to be denied."""

    __slots__ = ("_end", "_sentence")

    def __init__(self, sentence: str) -> None:
        self._sentence = sentence
        self._end: int | None = None

    def before(self, position: int) -> bool:
        if self._end is None:
            denial = _DENIED_REQUEST.search(self._sentence)
            self._end = denial.end() if denial else len(self._sentence) + 1
        return self._end <= position


def _requested(sentence: str, position: int, denial: _Denial) -> bool:
    """Whether the verb at `position` is asked of others: not after a denial (切勿提供个资), not
    done already, not the sender's own doing, not inside a document's title (《关于…发给…》)."""
    return not (
        denial.before(position) or _own_doing(sentence, position) or _in_title(sentence, position)
    )


def _in_title(text: str, position: int) -> bool:
    """Whether `position` is inside a 《title》 opened at most _TITLE_CHARS before it."""
    opened = text.rfind("《", max(0, position - _TITLE_CHARS), position)
    return opened >= 0 and text.find("》", opened, position) < 0


def _own_doing(sentence: str, position: int) -> bool:
    """Whether the clause around `position` says it was done (我已经把名单报给民政办了) or the
    sender will do it (那我明天把材料送到党政办)."""
    # The clause, looked for no further than _CLAUSE_CHARS each way (the work stays linear).
    first = max(0, position - _CLAUSE_CHARS)
    start = max(first - 1, *(sentence.rfind(sep, first, position) for sep in ",;:")) + 1
    last = position + _CLAUSE_CHARS
    end = min(
        (i for i in (sentence.find(sep, position, last) for sep in ",;:") if i >= 0), default=last
    )
    before = sentence[start:position]
    if "我" in before:
        before = _SPEECH_ACT.sub("", before)
    return bool(_REPORTED_BEFORE.search(before) or _SELF_SUBJECT.search(before)) or sentence[
        start:end
    ].rstrip("。!.").endswith("了")


def _proof_demand(text: str, asked: bool) -> str | None:
    """The rule that finds a demand for proof: a screenshot or photo of a deed, or a forward,
    follow or like to report back; `asked` when the message already asks for data or replies."""
    if not (_PROOF_MEDIA.search(text) or _SHOW_HINT.search(text)):
        return None
    for sentence in _SENTENCE.findall(text):
        if _DENIED.search(sentence) or _QUESTION.search(sentence):
            continue
        if (show := _SHOW_DONE.search(sentence)) and not _own_doing(sentence, show.start()):
            return f"proof_demand:show-done:{show[0]}"
        media = _PROOF_MEDIA.search(sentence)
        if (
            media is None
            or not (asked or _ASKED.search(sentence))
            or _own_doing(sentence, media.start())
        ):
            continue
        if match := _PROOF_PURPOSE.search(sentence):
            return f"proof_demand:{media[0]}:{match[0]}"
        document = _DOCUMENT_BEFORE.search(sentence, max(0, media.start() - 4), media.start())
        if not document and (match := _PROOF_DEED.search(sentence)):
            return f"proof_demand:{media[0]}:{match[0]}"
    return None


def _part_of_proof(clause: str) -> bool:
    """Whether a clause names the proof or the deed it proves (请观看…，看完截图发群里)."""
    return bool(_PROOF_MEDIA.search(clause) or _PROOF_DEED.search(clause))


def _announcing_clauses(text: str, demand: bool, data: bool, proof: bool) -> list[str]:
    """Clauses that could announce something: not questions, not about oneself, not the request.

    A message that opens with an acknowledgement (收到，…) is a reply, and announces nothing.
    """
    misposted = _MISPOSTED_HINT.search(text) and _MISPOSTED.search(text)
    if _REPLY_OPENING.match(text) or misposted:
        return []
    found = []
    asked = False
    for sentence in _SENTENCE.findall(text):
        # 有人捡到手机吗？在会议室: a short line after a question still belongs to it.
        follows_question = asked and len(sentence) <= _AFTERTHOUGHT_CHARS
        asked = bool(_QUESTION.search(sentence))
        if asked or follows_question:
            asked = True
            continue
        in_proof = proof and (_PROOF_MEDIA.search(sentence) or _SHOW_DONE.search(sentence))
        for clause in _clauses(sentence):
            if (
                (in_proof and _part_of_proof(clause))
                or _PERSONAL.search(clause)
                or _COMMENT.search(clause)
                or ("的" in clause and _AUDIENCE.fullmatch(clause))
                # in a data request, 开学第一天交班主任 says when and where the data goes, and
                # 好安排维修 what it is for
                or (
                    data
                    and (
                        _sends_somewhere(clause)
                        or any(not _in_title(clause, m.start()) for m in _reports(clause))
                        or any(not _in_title(clause, m.start()) for m in _sends_data(clause))
                        or _PURPOSE.match(clause)
                    )
                )
            ):
                continue
            if demand and _DEMAND_HINT.search(clause):
                if _SUPPORTING.search(_DEMAND.sub("", clause)):
                    continue
                clause = _DEMAND.sub(" ", clause)
            elif demand and _SUPPORTING.search(clause):
                continue
            found.append(clause)
    return found


def _announcing_word(clauses: str) -> re.Match[str] | None:
    """The first word that announces, unless it names one being talked about (那个通知)."""
    for match in _NOTICE_WORDS.finditer(clauses):
        if not _TALKED_ABOUT.search(
            clauses, max(0, match.start() - _TALKED_ABOUT_CHARS), match.start()
        ):
            return match
    return None


def _could_announce(text: str) -> bool:
    """Whether any announcing pattern is in the text at all; the clauses need reading if so."""
    return bool(
        _NOTICE_WORDS.search(text)
        or _NOTICE_PHRASES.search(text)
        or _TOPIC_WORDS.search(text)
        or _TASK.search(text)
        or _TO_EVERYONE.search(text)
        or _NOTICE_WEAK.search(text)
        or _FORWARD_HINT.search(text)
        or (":" in text and _TIME_RANGE.search(text))
    )


def _notice(text: str, demand: bool, data: bool, proof: bool) -> str | None:
    """The rule that finds an announcement or a task instruction beside any request."""
    if not _could_announce(text):
        return None
    announcing = _announcing_clauses(text, demand, data, proof)
    if announcing and _FORWARD_HINT.search(text) and (header := _FORWARD_HEADER.search(text)):
        return f"notice:forwarded:{header[0].strip()}"
    clauses = "\n".join(announcing)
    if match := (
        _announcing_word(clauses)
        or _NOTICE_PHRASES.search(clauses)
        or (":" in clauses and _TIME_RANGE.search(clauses))
    ):
        return f"notice:announces:{match[0]}"
    if _TOPIC_WORDS.search(clauses) and _TOPIC_CUE.search(clauses):
        for clause in announcing:
            if (match := _TOPIC_WORDS.search(clause)) and not _TOPIC_TALK.search(clause):
                return f"notice:topic:{match[0]}"
    if match := _TASK.search(clauses):
        return f"notice:task:{match[0]}"
    if not (demand or data) and (match := _TO_EVERYONE.search(clauses)):
        return f"notice:to-everyone:{match[0]}"
    if not data:
        for match in _NOTICE_WEAK.finditer(clauses):
            if not _TALKED_ABOUT.search(
                clauses, max(0, match.start() - _TALKED_ABOUT_CHARS), match.start()
            ):
                return f"notice:document:{match[0]}"
    return None


def _analyse(text: str, config: ClassifierConfig) -> Classification:
    """Everything about normalized `text` that does not depend on `now` (so no deadline)."""
    ack_words, urgent_markers = _vocabulary(config)
    rule = ack_rule(text, ack_words)
    if rule:
        return Classification(frozenset({Label.ACK}), (rule,))
    acknowledges = opens_with_ack(text, ack_words)
    lowered = text.lower()
    if "http" in lowered or "www." in lowered:
        lowered = _URL.sub(" ", lowered)
    marker = find_urgent_marker(text, urgent_markers)
    labels: set[Label] = set()
    why: list[str] = []
    if marker:
        labels.add(Label.URGENT)
        why.append(f"urgent:marker:{marker.marker}")
        body = lowered.replace(marker.marker.lower(), " ", 1)
    else:
        body = lowered
    rollcall = parse_normalized(text)
    data = _data_request(rollcall.title.lower() if rollcall else body)
    title = rollcall.title.lower() if rollcall else ""
    if (
        rollcall
        and not data
        and (figures := _FIGURES.search(title))
        and not _TAKING_PART.search(title)
    ):
        data = f"data_request:chain-of-figures:{figures[0]}"
    if data:
        labels.add(Label.DATA_REQUEST)
        why.append(data)
    instant = False
    if rollcall:
        labels.add(Label.ROLLCALL)
        why.append(f"rollcall:list:{len(rollcall.entries)}-entries")
    else:
        demand = _demand(body)
        if demand:
            labels.add(Label.DEMAND_REPLY)
            why.append(demand)
            instant = _is_instant(body)
        proof = _proof_demand(body, bool(data or demand))
        if proof:
            labels.add(Label.PROOF_DEMAND)
            why.append(proof)
        notice = _notice(body, demand is not None, data is not None, proof is not None)
        if notice is None and marker and not (demand or data or _QUESTION.search(body)):
            notice = "notice:urgent-announcement"
        if notice:
            labels.add(Label.NOTICE)
            why.append(notice)
    if not labels:
        return Classification(
            frozenset({Label.CHAT}), ("chat:no-rule",), opens_with_ack=acknowledges
        )
    return Classification(
        labels=frozenset(labels),
        why=tuple(why),
        urgent_marker=marker.marker if marker else None,
        urgent_reason=marker.reason if marker else None,
        instant_reply=instant,
        opens_with_ack=acknowledges,
        rollcall=rollcall,
    )


@lru_cache(maxsize=256)
def _vocabulary(config: ClassifierConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A group's acknowledgement words and urgency markers, normalized and lower-cased."""
    words = tuple(normalize(w).lower() for w in config.extra_ack_words if normalize(w))
    markers = tuple(normalize(m).lower() for m in config.extra_urgent_markers if normalize(m))
    return words, markers


@lru_cache(maxsize=4096)
def _cached_analysis(text: str, config: ClassifierConfig) -> Classification:
    return _analyse(text, config)


def classify(text: str, now: datetime, config: ClassifierConfig = DEFAULT_CONFIG) -> Classification:
    """Labels for one message, which rule gave each, and what the labels carry.

    `now` (timezone-aware) anchors relative deadlines such as 本周五 or 今晚8点. Results for the
    same text are shared between calls: frozen, and not to be mutated (`extra` included).
    """
    normalized = normalize(text)
    analysis = _cached_analysis(normalized, config)
    if Label.DATA_REQUEST not in analysis.labels:
        return analysis
    deadline = find_deadline_normalized(normalized.lower(), now)
    return analysis if deadline is None else replace(analysis, deadline=deadline)
