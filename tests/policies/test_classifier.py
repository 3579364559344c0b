"""Classifier behaviour on sentences written for these tests (none is from the shared corpus)."""

from __future__ import annotations

from datetime import datetime

import pytest
import pytz

from policies.classifier import DEFAULT_CONFIG, ClassifierConfig, classify
from policies.group_policy import DEFAULT_URGENT_MARKERS, GroupPolicy
from policies.labels import STANDALONE_LABELS, Label

SHANGHAI = pytz.timezone("Asia/Shanghai")
NOW = SHANGHAI.localize(datetime(2026, 11, 18, 10, 0))  # a Wednesday morning

ACK = [
    "收到",
    "收到收到👍",
    "好嘞",
    "收到，马上落实",
    "城关社区 王芳 收到",
    "二年级组已阅",
    "@李主任 收到，谢谢",
    "👌👌",
    "🫡🫡🫡",
    "收到[抱拳]",
    "OK 👍",
    "noted, thanks",
    "Received with thanks",
    "明白，马上安排",
    "了解了",
    "知道了，谢谢提醒",
    "已閱，謝謝",
    "收到！辛苦了",
    "111",
    "嗯",
    "好的好的",
    "派出所收到",
    "刘晓红已收到",
    "ＯＫ",
    "收\u200b到",
]
NOT_ACK = [
    "收到，但第三行数据有误",
    "收到，但是表格第二列的格式不对",
    "收到，请问截止时间是哪天？",
    "没收到啊，能再发一次吗",
    "我这边还没收到表格",
    "收到，我们村今天有3个人请假",
    "好的，明天上午我去镇里开会",
    "OK，另外打印机又卡纸了",
    "👍 这个活动组织得好",
    "1号会议室有人用吗",
    "收到请回复",
    "收到回1",
    "看到的回个1",
    "谢谢",
    "收到的文件打不开",
    "",
    "😂",
]
LABELLED = [
    # urgent, and topic words that are not urgency
    ("【紧急】今晚有大风降温，请各村立即通知养殖户加固大棚", {"urgent", "notice"}),
    ("特急：请各单位立即停止使用302会议室，房顶漏水", {"urgent", "notice"}),
    ("十万火急！下午2点前把防疫物资发放名单报上来", {"urgent", "data_request"}),
    ("#紧急 请各网格员立即到社区集合，有群众走失", {"urgent", "notice"}),
    ("URGENT: server room flooding, all IT staff to B1 now", {"urgent", "notice"}),
    ("急！谁有镇长的电话？", {"urgent"}),
    ("应急物资仓库的钥匙在谁那里？", {"chat"}),
    ("应急管理局下周三来检查安全生产工作，请各单位做好准备", {"notice"}),
    ("急诊楼明天开始装修，病人从南门进出", {"notice"}),
    ("请把紧急联系人电话填在表格最后一栏", {"chat"}),
    ("这事不着急，下周再说", {"chat"}),
    ("刚才那条加急通知作废，以这条为准：会议改到周五", {"notice"}),
    # demand_reply
    ("请各村看到后回复", {"demand_reply"}),
    ("@所有人 看到请回复“收到”", {"demand_reply"}),
    ("请10分钟内回复是否参加", {"demand_reply"}),
    ("各位同事请务必在今晚9点前回复", {"demand_reply"}),
    ("还没回复的同志请抓紧回复", {"demand_reply"}),
    ("请大家扣1", {"demand_reply"}),
    ("請各位家長看到後回覆", {"demand_reply"}),
    ("Please reply to confirm you can attend", {"demand_reply"}),
    ("明天上午9点在村委会召开村民代表会议，收到请回复", {"demand_reply", "notice"}),
    ("请全体党员接龙确认", {"demand_reply"}),
    ("大家抓紧接龙，还差8个人", {"demand_reply"}),
    ("本通知无需回复", {"notice"}),
    ("看到即可，不用回复", {"chat"}),
    # data_request
    ("请各村于本周五前报送秋季征兵适龄青年名单", {"data_request"}),
    ("麻烦各科室把本月加班统计表发给我", {"data_request"}),
    ("请各学校统计在校寄宿生人数，明天中午前报教育办", {"data_request"}),
    ("請各社區於下週三前填報獨居老人走訪記錄表", {"data_request"}),
    ("请各网格员把今天入户走访的照片上传到群相册", {"data_request"}),
    ("请各村核实辖区内危旧房屋数量，20号前上报", {"data_request"}),
    ("各班主任请将本班学生近视筛查结果汇总后交德育处", {"data_request"}),
    ("@张会计 上个月的报销明细还没发我，今天下班前给我", {"data_request"}),
    ("Please submit your monthly report by Friday", {"data_request"}),
    ("财务科通知：报销单据请于每月25日前交到财务室", {"data_request", "notice"}),
    ("我已经把名单报给民政办了", {"chat"}),
    ("上次统计的数据在哪个文件夹？", {"chat"}),
    ("这个表我填不明白，谁能教一下", {"chat"}),
    # rollcall
    ("周六植树活动报名\n1. 王芳\n2. 李强\n3. 赵敏", {"rollcall"}),
    ("#接龙 下周一体检\n1、张磊\n2、陈红", {"rollcall"}),
    ("端午粽子订购接龙\n1. 李娜 2袋\n2. 王强 1袋", {"rollcall"}),
    ("各村今日入户排查户数接龙上报\n1. 东坡村 35户\n2. 西湖村 28户", {"rollcall", "data_request"}),
    ("请大家接龙报名参加周末的义务献血，每人一行\n1. 赵磊", {"rollcall"}),
    ("今天下午会议议程：\n1. 学习文件\n2. 讨论工作", {"notice"}),
    ("表彰名单如下：\n1. 王芳\n2. 李强", {"notice"}),
    ("上次那个体检接龙谁还存着？", {"chat"}),
    # notice
    ("明天上午10点在三楼会议室召开安全生产例会，请各科室负责人参加", {"notice"}),
    ("县里下周二来我镇检查河长制工作", {"notice"}),
    ("本周六单位食堂停业一天", {"notice"}),
    ("温馨提示：明天起气温骤降，请大家注意保暖", {"notice"}),
    ("转发：关于做好冬季防火工作的通知", {"notice"}),
    ("Reminder: staff meeting tomorrow at 3pm in room 201", {"notice"}),
    ("镇卫生院明天上午开展免费义诊", {"notice"}),
    # chat
    ("中午一起去吃面吗", {"chat"}),
    ("哈哈，太逗了😂", {"chat"}),
    ("刚才那个会议链接是多少？", {"chat"}),
    ("我下午请假去医院", {"chat"}),
    ("Does anyone have a charger?", {"chat"}),
    ("会议几点开始？", {"chat"}),
]


@pytest.mark.parametrize("text", ACK)
def test_pure_acknowledgements_are_ack_alone(text: str) -> None:
    result = classify(text, NOW)
    assert result.labels == {Label.ACK}
    assert result.why and result.why[0].startswith("ack:")


@pytest.mark.parametrize("text", NOT_ACK)
def test_acknowledgement_with_anything_more_is_not_ack(text: str) -> None:
    assert Label.ACK not in classify(text, NOW).labels


@pytest.mark.parametrize(("text", "labels"), LABELLED)
def test_labels_of_fresh_sentences(text: str, labels: set[str]) -> None:
    result = classify(text, NOW)
    assert {str(label) for label in result.labels} == labels, result.why


@pytest.mark.parametrize("text", [t for t, _ in LABELLED] + ACK + NOT_ACK)
def test_every_label_has_a_reason_and_standalone_labels_stand_alone(text: str) -> None:
    result = classify(text, NOW)
    assert result.labels
    assert {w.split(":")[0] for w in result.why} == {str(label) for label in result.labels}
    if result.labels & STANDALONE_LABELS:
        assert len(result.labels) == 1


def test_urgent_reason_is_the_text_after_the_marker() -> None:
    result = classify("【紧急】：县道塌方，请各村组织群众绕行。", NOW)
    assert result.urgent_marker == "【紧急】"
    assert result.urgent_reason == "县道塌方,请各村组织群众绕行"  # in normalized form
    assert "urgent:marker:【紧急】" in result.why


def test_marker_without_reason_is_reported_as_such() -> None:
    result = classify("#urgent", NOW)
    assert result.has(Label.URGENT)
    assert result.urgent_marker == "#urgent"
    assert result.urgent_reason is None


def test_a_retracted_urgent_notice_is_not_urgent() -> None:
    result = classify("昨天那条紧急通知撤回了，大家以新文件为准", NOW)
    assert not result.has(Label.URGENT)
    assert result.urgent_marker is None


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("请大家秒回", True),
        ("请各村15分钟内回复", True),
        ("速回！", True),
        ("请立即回复是否收到", True),
        ("请今天下班前回复", False),
        ("请2小时内回复", False),
    ],
)
def test_instant_reply_is_a_reply_within_minutes(text: str, instant: bool) -> None:
    result = classify(text, NOW)
    assert result.has(Label.DEMAND_REPLY)
    assert result.instant_reply is instant


def test_data_request_carries_its_deadline_in_the_zone_of_now() -> None:
    result = classify("请各村明天上午10点前报送秸秆禁烧巡查台账", NOW)
    assert result.has(Label.DATA_REQUEST)
    assert result.deadline == SHANGHAI.localize(datetime(2026, 11, 19, 10, 0))


def test_only_data_requests_carry_a_deadline() -> None:
    assert classify("明天上午10点在二楼召开党委会", NOW).deadline is None


def test_rollcall_carries_its_entries() -> None:
    result = classify("周五聚餐接龙\n1. 王芳\n2. 李强 带家属", NOW)
    assert result.rollcall is not None
    assert [(e.number, e.name, e.extra) for e in result.rollcall.entries] == [
        (1, "王芳", ""),
        (2, "李强", "带家属"),
    ]


def test_group_markers_and_ack_words_extend_the_built_in_ones() -> None:
    config = ClassifierConfig(extra_urgent_markers=("！！！",), extra_ack_words=("妥",))
    assert classify("妥", NOW, config).labels == {Label.ACK}
    assert classify("妥", NOW).labels == {Label.CHAT}
    urgent = classify("!!! 水管爆了，三楼所有人先撤出来", NOW, config)
    assert urgent.has(Label.URGENT)
    assert urgent.urgent_marker == "!!!"
    assert not classify("水管爆了，三楼所有人先撤出来", NOW).has(Label.URGENT)


def test_config_from_policy_keeps_only_markers_beyond_the_built_in_ones() -> None:
    policy = GroupPolicy(urgent_markers=(*DEFAULT_URGENT_MARKERS, "＃火速"), ack_words=("妥了",))
    config = ClassifierConfig.from_policy(policy)
    assert config.extra_urgent_markers == ("＃火速",)
    assert config.extra_ack_words == ("妥了",)
    assert ClassifierConfig.from_policy(GroupPolicy()) == DEFAULT_CONFIG
    assert classify("#火速 请到门口集合", NOW, config).urgent_marker == "#火速"
