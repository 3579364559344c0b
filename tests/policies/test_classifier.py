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
    "好的，马上",
    "收到，辛苦領導",
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
    "收到，按要求办理",
    "好的收到",
    "收到啦",
    "嗯嗯好的",
    "明白了，谢谢",
    "好的，谢谢领导",
    "已收到，谢谢提醒",
    "收到！马上办",
    "收到✅✅",
    "東山村 張偉 已閱",
    "收到，謝謝領導",
    "11",
    "1111",
    "OK的",
    "ok👌",
    "Okay, thanks",
    "Got it, thanks",
    "Understood",
    "Will do",
    "Roger that",
    "@張主任 收到",
    "李村收到",
    "財政所 已收到",
    "收悉，谢谢",
    "[强][强]",
    "🙏",
    "👍🏻",
    "好的👌",
    "收到[OK]",
    "已阅知",
    "收到，謝謝提醒",
    "好的，馬上處理",
    "明白👌",
    "已閱知",
    "Noted with thanks",
    "OK noted",
    "👍 got it",
    "收到，辛苦各位",
    "好的，收到，谢谢！",
    "收到1",
    "👌收到",
    "收到👍👍👍",
    "[OK]",
    "收到[玫瑰]",
    "收到！",
    "已收到！",
    "收到了，谢谢领导关心",
    "+1",
    # Cantonese and Taiwanese particles, units with bracketed numbers, common slips
    "收到喇",
    "明白晒，唔該",
    "知道咗",
    "冇問題",
    "好嘅，收到",
    "收到唷",
    "民兵三連收到",
    "四（1）班 收到",
    "社會課 收到",
    "收道",
    "以阅",
    "嗯呐",
    "收到，会按时上报",
    "好的，马上到",
]
NOT_ACK = [
    "收到[图片]",
    "好的[文件]",
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
    "收到，马上通知到各户",
    "收到，明天派人过去",
    "收到，谢谢！另外周五的会还开吗？",
    "好的，我已经转给老张了",
    "收到，东坡村这次报了5个人",
    "收到，这个表怎么填？",
    "1个小时后到",
    "收到，但我下午要請假",
    "收到，已经安排人员过去了",
    "收到。另：明天我不在办公室",
    "收到，我们村没有这种情况",
    "好的，下午3点见",
    "明白，保证完成任务",
    "收到，马上转给村民",
    # what was done or who is where is news, not an acknowledgement
    "收到，已到",
    "收到，已上报",
    "冇收到",
    "唔明白",
    "得唔得啊",
    "收到喇，不过冇時間",
    "收到，十点到",
    "好的，马上去县里",
    "收到，3人参加",
    "民兵连 收到 5人到位",
    "Noted, John is on leave",
    "收道，但是没附件",
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
    ("请各网格员把今天入户走访的照片上传到群相册", {"data_request", "proof_demand"}),
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
    ("大家到家了在群里说一声", {"demand_reply"}),
    ("请在群里报个平安", {"demand_reply"}),
    ("请各村书记今天之内给我回个电话", {"chat"}),
    ("请把村干部的电话发给我", {"data_request"}),
    ("🔴紧急通知：今晚十点起全镇停电", {"urgent", "notice"}),
    ("#紧急通知# 全镇明天停水", {"urgent", "notice"}),
    ("这个比较紧急，大家辛苦一下", {"chat"}),
    ("明天请大家穿工作服", {"notice"}),
    ("本周日正常上班", {"notice"}),
    ("今天下午全体人员大扫除", {"notice"}),
    ("Please remember to lock the office doors", {"notice"}),
    ("转发后截图留痕", {"data_request", "proof_demand"}),
    ("请各村核实辖区内危旧房屋数量，20号前上报", {"data_request"}),
    ("今天的通知大家都看到了吧", {"chat"}),
    ("紧急集合！全体民兵到武装部集合", {"urgent", "notice"}),
    ("已收到文件，谢谢", {"chat"}),
    ("Reminder: submit expense claims by 25th", {"data_request", "notice"}),
    ("1. 王芳\n2. 李强\n3. 赵敏", {"chat"}),
    ("关于召开一季度安全生产形势分析会的通知\n各村：\n定于4月2日上午9点召开会议。", {"notice"}),
    ("请各村于4月10日前将春耕备耕情况统计表报至农业站", {"data_request"}),
    ("请各村负责人核对附件名单，有误的请在明天中午前反馈", {"data_request"}),
    ("谁统计一下今天来了多少人？", {"chat"}),
    ("第三季度的台账我已经整理好了", {"chat"}),
    ("【緊急通知】請各校今天下午4點前回覆學生返校人數", {"urgent", "demand_reply", "data_request"}),
    ("明天9点开会，不用回复", {"notice"}),
    ("党员捐款接龙\n1、张伟 100元\n2、李娜 200元", {"rollcall"}),
    ("Kindly submit your leave applications before Friday", {"data_request"}),
    ("急急急 请各村马上回复", {"urgent", "demand_reply"}),
    # more of the same kind
    ("已阅，有个错别字，第三段“截止”写成了“截至”", {"chat"}),
    ("2", {"chat"}),
    ("好热啊", {"chat"}),
    ("好久不见", {"chat"}),
    ("明天收到", {"chat"}),
    ("【紧急通知】明天全镇停电检修，请各单位提前做好准备", {"notice", "urgent"}),
    ("紧急！各村立即组织人员转移低洼地带群众", {"notice", "urgent"}),
    ("【特急】请各村今晚10点前上报受灾情况", {"data_request", "urgent"}),
    ("加急：请各科室30分钟内回复能否派人支援", {"demand_reply", "urgent"}),
    ("#urgent all staff please return to the office immediately", {"notice", "urgent"}),
    ("【緊急】今晚颱風過境，請各社區通知居民不要外出", {"notice", "urgent"}),
    (
        "紧急通知：今天下午3点召开防汛紧急会议，请各村书记参加，收到回复",
        {"demand_reply", "notice", "urgent"},
    ),
    ("紧急避险演练定于下周三举行", {"notice"}),
    ("应急演练方案已发群文件，请大家查看", {"notice"}),
    ("这个任务比较急，麻烦大家抓紧", {"chat"}),
    ("我有点急事，先走了", {"chat"}),
    ("急需一名会开车的同志下午陪同去县里", {"chat"}),
    ("紧急联系人那一栏可以不填吗？", {"chat"}),
    ("之前那条加急的通知不作数了", {"notice"}),
    ("@所有人 收到请回复", {"demand_reply"}),
    ("看到消息的请扣1", {"demand_reply"}),
    ("请各位主任务必在下午5点前回复能否参会", {"demand_reply"}),
    ("各村书记看到请回个收到", {"demand_reply"}),
    ("请速回", {"demand_reply"}),
    ("請大家秒回，領導在等", {"demand_reply"}),
    ("5分钟内回复，过时不候", {"demand_reply"}),
    ("还有三个村没回复，请马上回复", {"demand_reply"}),
    ("请大家在群里接龙", {"demand_reply"}),
    ("Please acknowledge receipt of this message", {"demand_reply"}),
    ("明天上午8点半开会，看到回1", {"demand_reply", "notice"}),
    ("下午3点县里来检查卫生，各科室做好准备，收到请回复", {"demand_reply", "notice"}),
    ("本条通知不需要回复", {"notice"}),
    ("请各村本周内报送今年新增低保户名单", {"data_request"}),
    ("请各社区统计辖区内70岁以上老人数量，周四前发我", {"data_request"}),
    ("麻烦各位把自己的身份证复印件拍照发我", {"data_request"}),
    ("各学校请于5月10日前将教师培训台账报送教育办", {"data_request"}),
    ("請各村於本週五前上報防汛物資儲備情況", {"data_request"}),
    ("请各支部把党费收缴明细表发给组织办", {"data_request"}),
    ("请各村填写附件中的人居环境整治进度表，明天下班前交", {"data_request"}),
    ("请把今天巡河的照片发到群里", {"data_request", "proof_demand"}),
    ("@王会计 把第三季度的报表发我一下", {"data_request"}),
    ("请各科室上报本月耗材使用情况", {"data_request"}),
    ("请各位同事填一下这个问卷 https://wj.example.com/s/123", {"data_request"}),
    ("Could everyone send me their timesheets by Thursday", {"data_request"}),
    ("Please upload the inspection photos to the shared folder", {"data_request"}),
    ("统计局下周来检查台账", {"notice"}),
    ("报表我下午交", {"chat"}),
    ("这个月的报表交了吗？", {"chat"}),
    ("周日环境整治志愿者接龙\n1. 王芳\n2. 李强\n3. 赵敏 带扫帚", {"rollcall"}),
    ("#接龍\n週五聚餐\n1. 陳明\n2. 黃麗", {"rollcall"}),
    ("疫苗接种预约\n1. 张伟 上午\n2. 李娜 下午", {"rollcall"}),
    ("各村参加培训人数接龙上报\n1. 东坡村 3人", {"data_request", "rollcall"}),
    ("篮球赛报名（每队5人）\n1、刘洋\n2、孙浩\n3、徐婷", {"rollcall"}),
    ("学习强国积分接龙\n1. 王芳 35分\n2. 李强 40分", {"rollcall"}),
    ("今天值班人员签到\n1. 张伟\n2. 王强", {"rollcall"}),
    ("年度考核优秀人员：\n1. 王芳\n2. 李强\n现予公示", {"notice"}),
    ("本周工作重点：\n1. 完成秋粮收购\n2. 做好防火宣传\n3. 整理档案", {"notice"}),
    ("明天上午9点在镇会议室召开全体干部大会，请准时参加", {"notice"}),
    ("本周五下午组织全体党员观看警示教育片", {"notice"}),
    ("国庆假期安排：10月1日至7日放假，8日正常上班", {"notice"}),
    ("请各位老师于明天上午8点前到校参加开学典礼", {"notice"}),
    ("县人社局关于2026年养老保险缴费的通知已上传群文件", {"notice"}),
    ("下周一起食堂早餐时间调整为7:00-8:00", {"notice"}),
    ("明天上午有雨，下乡的同志注意安全", {"notice"}),
    ("卫生院体检中心下周二暂停服务一天", {"notice"}),
    ("Notice: the office will be closed on Monday for maintenance", {"notice"}),
    ("FYI 新的请假流程已上线，在OA系统里申请", {"notice"}),
    ("转发县委组织部通知：关于开展党员教育培训的通知", {"notice"}),
    ("今晚8点的视频会议改为明早9点", {"notice"}),
    ("各位，镇政府大门本周施工，请从侧门进出", {"notice"}),
    ("周末有人去钓鱼吗", {"chat"}),
    ("今天食堂的饺子不错", {"chat"}),
    ("哪位有充电宝借我用一下", {"chat"}),
    ("小王今天生日，祝生日快乐🎂", {"chat"}),
    ("刚刚是谁打的电话？", {"chat"}),
    ("辛苦大家了", {"chat"}),
    ("下雨了，记得收衣服", {"chat"}),
    ("我在路上，马上到", {"chat"}),
    ("这张照片拍得真好", {"chat"}),
    ("请问复印机在哪个房间", {"chat"}),
    ("What time is lunch today?", {"chat"}),
    ("表格的模板能再发一次吗", {"chat"}),
    ("谁知道医保局的电话？", {"chat"}),
    ("請各村於週三前上報本村殘疾人名單", {"data_request"}),
    ("各位同事：明天上午九點在二樓會議室開會，請準時出席。", {"notice"}),
    ("【緊急】今晚暴雨，請各村立即組織巡查", {"notice", "urgent"}),
    ("看到請回覆", {"demand_reply"}),
    ("週末誰有空一起爬山？", {"chat"}),
    ("請大家接龍報名\n1. 陳大文\n2. 李小明", {"rollcall"}),
    ("通知：下週一起實行新的考勤制度", {"notice"}),
    ("麻煩各位把身份證號碼發給我，辦理保險用", {"data_request"}),
    ("這個月的加班費什麼時候發？", {"chat"}),
    ("今天辛苦大家了，早點休息", {"chat"}),
    ("急！誰知道打印機的維修電話？", {"urgent"}),
    ("緊急聯絡人電話要寫手機還是座機？", {"chat"}),
    ("Meeting tomorrow at 10am in the main hall, please attend", {"notice"}),
    ("Please reply with your availability by Wednesday", {"data_request", "demand_reply"}),
    ("Pls send me the attendance list asap", {"data_request"}),
    ("Anyone up for lunch?", {"chat"}),
    ("URGENT: fire drill in 10 minutes, everyone to the assembly point", {"notice", "urgent"}),
    ("FYI the printer on 2F is fixed", {"notice"}),
    ("明天的training改到下午2点", {"notice"}),
    ("请把PPT发我check一下", {"chat"}),
    ("各位请在Excel里填好自己的信息，周五前发回", {"data_request"}),
    ("【加急】县里要求今天下午4点前报送在外务工人员返乡情况", {"data_request", "urgent"}),
    ("特急！各村书记立即到镇政府开会", {"notice", "urgent"}),
    ("#急 村里水管爆了，请水务站派人来修", {"notice", "urgent"}),
    ("紧急通知：因道路结冰，明天早上所有校车停运", {"notice", "urgent"}),
    ("急急急！谁有民政局李科长的电话", {"urgent"}),
    ("不是急事，明天再说", {"chat"}),
    ("急救培训报名请找卫生院王医生", {"notice"}),
    ("防汛应急预案已修订，请各村学习", {"notice"}),
    ("关于印发应急管理工作要点的通知", {"notice"}),
    ("同上", {"chat"}),
    ("同意", {"chat"}),
    ("请各位在今天下班前回复是否参加体检", {"demand_reply"}),
    ("请所有人看到消息后回复收到", {"demand_reply"}),
    ("收到的请在群里说一声", {"demand_reply"}),
    ("没回复的请尽快回复", {"demand_reply"}),
    ("请大家确认收到", {"demand_reply"}),
    ("各支部书记今晚8点前必须回复", {"demand_reply"}),
    ("请回复", {"demand_reply"}),
    ("以上内容无需回复，知悉即可", {"chat"}),
    ("请各村报一下今年秋收的产量", {"data_request"}),
    ("请于本月20日前将2026年度工作总结报党政办", {"data_request"}),
    ("各科室下班前把值班表交上来", {"data_request"}),
    ("请各网格员拍照上传今日巡查记录", {"data_request", "proof_demand"}),
    ("请各村提供一份村干部联系方式", {"data_request"}),
    ("麻烦把你们村的低保户花名册发我一份", {"data_request"}),
    ("各社区请在明天中午前填好附件的表格发回", {"data_request"}),
    ("请统计一下本周加班的人员", {"data_request"}),
    ("请各学校上报秋季学期在校生人数", {"data_request"}),
    ("数据已经汇总好了，在群文件里", {"notice"}),
    ("统计站的小刘今天请假", {"chat"}),
    ("名单我晚点发", {"chat"}),
    ("体检预约接龙\n1. 王芳 周二\n2. 李强 周三\n3. 赵敏 周二", {"rollcall"}),
    ("明天下乡人员\n1. 张伟\n2. 李娜\n3. 王强", {"rollcall"}),
    ("本周值班表\n1. 周一 张伟\n2. 周二 李娜", {"notice"}),
    ("中秋慰问品领取登记\n1. 东山村 已领\n2. 河口村 已领", {"rollcall"}),
    ("会议签到\n1、王芳\n2、李强\n3、赵敏", {"rollcall"}),
    ("根据县委要求，本周起每周一上午召开例会", {"notice"}),
    ("明天全镇停水，请做好储水准备", {"notice"}),
    ("卫生院从下周起实行预约挂号", {"notice"}),
    ("周五下午县领导来我镇调研乡村振兴工作", {"notice"}),
    ("请各村书记明天上午9点到镇政府参加培训", {"notice"}),
    ("关于做好元旦春节期间安全生产工作的通知已下发，请各单位认真落实", {"notice"}),
    ("今年的年终考核将于12月下旬进行", {"notice"}),
    ("党员活动日改在本月28号", {"notice"}),
    ("镇政府食堂周末不开放", {"notice"}),
    ("请大家注意防范电信诈骗", {"notice"}),
    ("谁捡到一把黑色雨伞？", {"chat"}),
    ("今天的会开得太久了", {"chat"}),
    ("祝贺东山村获得先进集体！", {"chat"}),
    ("大家辛苦了，这次检查顺利通过", {"chat"}),
    ("有没有人要拼车去县城", {"chat"}),
    ("老李退休了，以后常回来看看", {"chat"}),
    ("我电脑坏了，谁能帮忙看看", {"chat"}),
    ("晚上聚餐在老地方", {"chat"}),
    ("这个表格的格式要怎么调？", {"chat"}),
    ("哈哈哈哈哈哈", {"chat"}),
]


@pytest.mark.parametrize("text", ACK)
def test_pure_acknowledgements_are_ack_alone(text: str) -> None:
    result = classify(text, NOW)
    assert result.labels == {Label.ACK}
    assert result.why and result.why[0].startswith("ack:")


@pytest.mark.parametrize("text", NOT_ACK)
def test_acknowledgement_with_anything_more_is_not_ack(text: str) -> None:
    assert Label.ACK not in classify(text, NOW).labels


@pytest.mark.parametrize(
    "text",
    [
        "收到，但第三行数据有误",
        "好的，明天上午我去镇里开会",
        "OK，另外打印机又卡纸了",
        "收到。另：明天我不在办公室",
        "收到喇，不过冇時間",
        "收到，这个表怎么填？",
        "張三收到，我們村下週交",
        "好的 下午三点见",
        "Noted, but the second sheet is missing",
    ],
)
def test_an_acknowledgement_that_says_more_opens_with_an_ack(text: str) -> None:
    result = classify(text, NOW)
    assert Label.ACK not in result.labels and result.opens_with_ack


@pytest.mark.parametrize(
    "text",
    [
        "收到",
        "没收到啊，能再发一次吗",
        "我这边还没收到表格",
        "收到请回复",
        "收到回1",
        "收到的文件打不开",
        "1个小时后到",
        "1. 张三\n2. 李四",
        "1 号楼已经排查完毕",
        "冇收到，再发一次",
        "唔明白，点样填",
        "第三行数据有误，请核实",
    ],
)
def test_what_does_not_open_with_an_ack(text: str) -> None:
    assert not classify(text, NOW).opens_with_ack


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


def test_a_hashtag_marker_may_close_with_a_hash() -> None:
    result = classify("#紧急通知# 全镇明天停水", NOW)
    assert (result.urgent_marker, result.urgent_reason) == ("#紧急通知#", "全镇明天停水")


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


PROOF = [
    # screenshots and photos of a deed, or kept as a trace
    ("请各位党员把今天的学习积分截图发到支部群", {"data_request", "proof_demand"}),
    ("今晚的新闻联播看完请截屏上传", {"data_request", "proof_demand"}),
    ("各村开展防溺水宣传时要拍照留痕", {"data_request", "proof_demand"}),
    ("慰问困难户时请拍照，照片下午统一发我", {"data_request", "proof_demand"}),
    ("請各位同仁參加講座後拍照回傳，作為研習時數佐證", {"data_request", "proof_demand"}),
    ("Please attend the webinar and post a screenshot here", {"data_request", "proof_demand"}),
    # forward, follow or like, and show it
    ("请大家把这篇文章转发朋友圈并截图发群里", {"data_request", "proof_demand"}),
    ("关注镇团委公众号后请截图发给我", {"data_request", "proof_demand"}),
    ("请大家把倡议书转发到家长群，转完在群里回复一下", {"demand_reply", "proof_demand"}),
]
NOT_PROOF = [
    ("请把漏水的天花板拍照发我，我报修", {"data_request"}),  # the photo is the data
    ("请把营业执照拍照上传到系统", {"data_request"}),
    ("麻烦把盖章的申请表拍照发我", {"data_request"}),
    ("我已经截图发群里了", {"chat"}),
    ("今后不再要求各村上传工作照片留痕", {"notice"}),
    ("欢迎大家关注镇政府公众号", {"notice"}),  # an invitation, no proof asked
    ("这张合影拍得真好", {"chat"}),
]


@pytest.mark.parametrize(("text", "labels"), PROOF + NOT_PROOF)
def test_proof_demands_are_screenshots_of_deeds_not_photos_of_data(
    text: str, labels: set[str]
) -> None:
    result = classify(text, NOW)
    assert {str(label) for label in result.labels} == labels, result.why
    if "proof_demand" in labels:
        assert any(w.startswith("proof_demand:") for w in result.why)
