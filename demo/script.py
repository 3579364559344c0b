"""The cast and the scripted evening: two work groups from Wednesday evening to Thursday morning.

河东村两委群: the village committee; 王书记 asks for a list and replies, ten cadres answer 收到,
李主任 posts a notice at 22:10 that is held until the morning digest.
青石镇防汛群: the town's flood-control group; a 接龙 roll-call reposted twice and merged, and an
urgent message at night that passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.platform.live import EDIT_INTERVAL
from demo.stage import Stage
from demo.transcript import ZONE, Transcript
from testserver.world import DEFAULT_BOT_RIGHTS, Chat, ChatMessage, User

VILLAGE_GROUP_ID = -1001000000001
TOWN_GROUP_ID = -1001000000002
CADRES = ("张建国", "刘芳", "陈明", "杨丽", "赵磊", "黄勇", "周敏", "吴刚", "徐静", "孙涛")
ACKS = ("收到", "收到", "1", "收到👍", "好的", "收到!", "已收到", "👍", "收到收到", "明白")
NOTICE = "请各村明天上午十点前报送防汛物资清单，收到请回复"
CHAIN = "周六河堤巡查志愿者接龙"
HELD = "明天上午九点在村委会召开防汛工作会议，请两委成员准时参加"
URGENT = "【紧急】三号闸河堤出现管涌，请抢险队员立即到闸口集合"
GROUP_NOTE_LIFETIME = timedelta(seconds=61)


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026 in Shanghai: Wednesday the 18th and Thursday the 19th are
    ordinary workdays."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


START = shanghai(18, 17, 30)


@dataclass(frozen=True)
class Cast:
    secretary: User  # 王书记: owner of the village group, member of the town group
    director: User  # 李主任: admin of the village group
    mayor: User  # 马镇长: owner of the town group
    cadres: tuple[User, ...]
    zhang: User
    li: User
    zhao: User  # has never started the bot
    village: Chat
    town: Chat

    @property
    def people(self) -> tuple[User, ...]:
        named = (self.secretary, self.director, self.mayor, self.zhang, self.li, self.zhao)
        return named + self.cadres

    @property
    def groups(self) -> tuple[Chat, ...]:
        return (self.village, self.town)


class Evening:
    """Plays the script on a stage, writing the transcript as it goes."""

    def __init__(self, stage: Stage, transcript: Transcript) -> None:
        self.stage = stage
        self.world = stage.world
        self.transcript = transcript
        self.tally: ChatMessage | None = None
        """The tally under 王书记's request, once posted."""

    async def play(self) -> Cast:
        cast = await self.setting_up()
        await self.evening(cast)
        await self.rollcall(cast)
        await self.night(cast)
        await self.morning(cast)
        return cast

    # ---- the scenes ----------------------------------------------------------------------

    async def setting_up(self) -> Cast:
        world = self.world
        person = world.add_user
        secretary, director, mayor = (
            person("王书记", id=1001),
            person("李主任", id=1002),
            person("马镇长", id=1003),
        )
        zhang, li, zhao = person("张伟", id=1004), person("李娜", id=1005), person("赵强", id=1006)
        cadres = tuple(person(name, id=1011 + n) for n, name in enumerate(CADRES))
        village = world.add_group(
            "河东村两委群",
            id=VILLAGE_GROUP_ID,
            creator=secretary,
            admins=[director],
            members=cadres,
            bot_status="left",
            bot_rights=(),
        )
        town = world.add_group(
            "青石镇防汛群",
            id=TOWN_GROUP_ID,
            creator=mayor,
            members=[secretary, zhang, li, zhao],
            bot_status="left",
            bot_rights=(),
        )
        cast = Cast(secretary, director, mayor, cadres, zhang, li, zhao, village, town)
        self.transcript.heading(self.stage.clock.now(), "before the evening 开始之前")
        starters = [p for p in cast.people if p is not zhao]
        for someone in starters:
            world.send(someone, world.private_chat(someone), "/start")
        await self.stage.settled()
        self.transcript.catch_up(show=False)
        self.transcript.note(
            "Everyone but 赵强 has pressed Start in a private chat with the bot, so it may",
            "write to them. 除赵强外，每人都已私聊机器人并点了“开始”。",
            "Each group's owner makes the bot an admin with the right to delete messages.",
            "两个群的群主把机器人设为管理员（有删除消息的权限）。",
        )
        for group, owner in ((village, secretary), (town, mayor)):
            world.set_bot_status(group, "administrator", by=owner, rights=DEFAULT_BOT_RIGHTS)
            await self.settle()
        return cast

    async def evening(self, cast: Cast) -> None:
        await self.at(shanghai(18, 17, 40), "evening, work time 傍晚，工作时间")
        self.transcript.note(
            "王书记 asks every village for a list, and for replies: the bot adds one button and",
            "a tally. 王书记要求报送清单并回复：机器人加上一个“收到”按钮和确认统计。",
        )
        notice = await self.say(cast.secretary, cast.village, NOTICE)
        self.transcript.note(
            "Ten cadres reply 收到 (or 1, 👍 …): each reply is removed and counted; the tally",
            "is edited at most once every few seconds. 十人回复“收到”：逐条删除并计入统计。",
        )
        for cadre, ack in zip(cast.cadres, ACKS, strict=True):
            self.world.send(cadre, cast.village, ack, reply_to=notice)
        await self.settle()
        await self.at(self.stage.clock.now() + EDIT_INTERVAL)
        self.transcript.note(
            "王书记 presses 📋 名单: who has and has not acknowledged comes privately, never in",
            "the group. 王书记点“名单”：谁已确认、谁未确认，私下发给他，不在群里公布。",
        )
        tally = self.tally = self.reply_to(notice)
        self.world.press(cast.secretary, tally, tally.callback_data[-1])
        await self.settle()

    async def rollcall(self, cast: Cast) -> None:
        await self.at(shanghai(18, 19, 0), "evening, a 接龙 roll-call 傍晚，接龙报名")
        self.transcript.note(
            "张伟 starts a 接龙 in the town group: it becomes one list with buttons.",
            "张伟在镇防汛群发起接龙：变成一条带按钮的名单。",
        )
        await self.say(cast.zhang, cast.town, f"{CHAIN}\n1. 张伟")
        await self.at(shanghai(18, 19, 5))
        self.transcript.note(
            "李娜 and then 赵强 repost the chain with their line added, as people do: each repost",
            "is merged into the list and removed; 李娜 is told privately, 赵强 (who never",
            "started the bot) by a note in the group that removes itself after a minute.",
            "李娜、赵强照旧复制接龙加上自己：并入名单并删除；私下告知李娜；赵强未私聊过机器人，",
            "群里提示一条，一分钟后自动删除。",
        )
        await self.say(cast.li, cast.town, f"{CHAIN}\n1. 张伟\n2. 李娜")
        await self.say(cast.zhao, cast.town, f"{CHAIN}\n1. 张伟\n2. 李娜\n3. 赵强")
        await self.at(self.stage.clock.now() + GROUP_NOTE_LIFETIME)

    async def night(self, cast: Cast) -> None:
        await self.at(shanghai(18, 22, 10), "night, quiet hours 21:00–08:00 夜间免打扰")
        self.transcript.note(
            "李主任 posts a notice at 22:10: it is held — removed, kept verbatim, released at",
            "08:00 — and he is told privately. 李主任22:10发通知：暂存到早上8点，私下告知本人。",
        )
        await self.say(cast.director, cast.village, HELD)
        await self.at(shanghai(18, 22, 40))
        self.transcript.note(
            "马镇长 posts an urgent message with its reason: it passes, at once.",
            "马镇长发紧急消息并写明原因：立即放行。",
        )
        await self.say(cast.mayor, cast.town, URGENT)

    async def morning(self, cast: Cast) -> None:
        await self.at(
            shanghai(19, 8, 0),
            "morning, work starts 早上，上班",
            "At work start the night's held messages are posted as one silent digest.",
            "上班时，夜间暂存的消息合成一条静音汇总发出。",
        )
        await self.at(self.stage.clock.now() + EDIT_INTERVAL)
        for group in cast.groups:
            self.transcript.group_view(group)
        self.transcript.inbox((p.first_name, self.world.private_chat(p)) for p in cast.people)

    # ---- moving on -----------------------------------------------------------------------

    async def say(
        self, user: User, chat: Chat, text: str, reply_to: ChatMessage | None = None
    ) -> ChatMessage:
        message = self.world.send(user, chat, text, reply_to=reply_to)
        await self.settle()
        return message

    async def at(self, when: datetime, title: str | None = None, *narration: str) -> None:
        """Move the clock to `when` (under a heading, with what to watch for), ring the bot's
        alarm clock and write what followed."""
        self.stage.clock.set(when)
        if title is not None:
            self.transcript.heading(when, title)
        self.transcript.note(*narration)
        await self.stage.tick()
        self.transcript.catch_up()

    async def settle(self) -> None:
        await self.stage.settled()
        self.transcript.catch_up()

    def reply_to(self, message: ChatMessage) -> ChatMessage:
        """The bot's reply to `message` (its tally)."""
        (reply,) = [
            m
            for m in self.world.sent_by_bot(message.chat)
            if m.reply_to_message_id == message.message_id
        ]
        return reply
