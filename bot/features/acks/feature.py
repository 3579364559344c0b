"""Acknowledgements in the bot: the tally as a live message, absorbed replies, the buttons, /ack."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.acks.store import (
    TALLY_KIND,
    ack_count,
    acknowledged,
    bots_among_members,
    create_request,
    display_name,
    is_counted_member,
    open_requests,
    posted_after,
    present_people,
    recent_total,
    record_ack,
    request_title,
)
from bot.platform.admins import Admins
from bot.platform.essentials import Essentials
from bot.platform.gateway import Gateway
from bot.platform.i18n import Catalogs
from bot.platform.inputs import Command, Press
from bot.platform.live import Content, LiveKind, LiveMessages
from bot.platform.outbox.items import delete_message
from bot.platform.outbox.store import enqueue
from bot.platform.pipeline import Decided, Feature
from bot.platform.roster import record_sender
from bot.platform.storage.models import AckRequest, AckVia, Chat
from bot.platform.text_limits import split_text
from policies.decide import Situation
from policies.features.acks import (
    POSTED_SINCE_LIMIT,
    RULES,
    AbsorbAck,
    AcksState,
    AttachAckButton,
    CountAck,
    reads_acks,
)
from policies.message import Person

DELETE_KIND = "ack/delete"  # an absorbed reply, or the /ack command that did its work
ACK_BUTTON = "ack"
ROSTER_BUTTON = "ackl"


class Acks:
    def __init__(
        self,
        base: Essentials,
        live: LiveMessages,
        gateway: Gateway,
        admins: Admins,
    ) -> None:
        self._base = base
        self._live = live
        self._gateway = gateway
        self._admins = admins

    def feature(self) -> Feature[AcksState]:
        return Feature(
            "acks",
            RULES,
            self.load,
            {AbsorbAck: self.absorb, CountAck: self.count, AttachAckButton: self.attach_button},
        )

    def live_kind(self) -> LiveKind:
        return LiveKind(self.render_tally, self.tally_posted)

    async def load(self, session: AsyncSession, situation: Situation) -> AcksState:
        if not reads_acks(situation):
            return AcksState()
        message = situation.message
        requests = await open_requests(session, message.chat.id, situation.now)
        if not requests or message.reply_to is not None:
            return AcksState(requests)
        latest = max(r.request_message_id for r in requests)
        posted, more = await posted_after(session, message.chat.id, latest, POSTED_SINCE_LIMIT)
        return AcksState(requests, posted, more)

    async def absorb(self, session: AsyncSession, absorb: AbsorbAck, decided: Decided) -> None:
        """A plain acknowledgement: counted for its sender, and removed when the bot enforces."""
        message = decided.message
        if absorb.request_id is not None:
            await self._count_message(session, absorb.request_id, decided)
        if absorb.delete:
            removal = delete_message(DELETE_KIND, message.chat.id, message.message_id)
            await enqueue(session, removal, not_before=decided.now)

    async def count(self, session: AsyncSession, count: CountAck, decided: Decided) -> None:
        """An acknowledgement with more to say: counted for its sender; it stays in the group."""
        await self._count_message(session, count.request_id, decided)

    async def _count_message(
        self, session: AsyncSession, request_id: int, decided: Decided
    ) -> None:
        message = decided.message
        request = await session.get(AckRequest, request_id)
        if request is not None and request.chat_id == message.chat.id:
            await self._count(
                session, request.id, message.sender_id, AckVia.MESSAGE, message.message_id
            )

    async def attach_button(
        self, session: AsyncSession, attach: AttachAckButton, decided: Decided
    ) -> None:
        """A message that demands replies gets the button and tally instead."""
        message = decided.message
        await self.attach(
            session, message.chat.id, message.message_id, message.sender_id, attach.instant_reply
        )

    async def attach(
        self,
        session: AsyncSession,
        chat_id: int,
        message_id: int,
        requester_id: int | None,
        instant_reply: bool,
        acknowledged: Sequence[tuple[int, int]] = (),
    ) -> None:
        """The message in the group that carries a demand (its own, or the digest page that
        released it) gets the button and tally; acknowledgements replying to it are counted,
        and so are the `acknowledged` (user id, message id) given already (held overnight)."""
        await self.open_request(
            session,
            chat_id=chat_id,
            message_id=message_id,
            requester_id=requester_id,
            total=await recent_total(session, chat_id),
            instant_reply=instant_reply,
            acknowledged=acknowledged,
        )

    async def open_request(
        self,
        session: AsyncSession,
        *,
        chat_id: int,
        message_id: int,
        requester_id: int | None,
        total: int | None,
        instant_reply: bool,
        acknowledged: Sequence[tuple[int, int]] = (),
    ) -> None:
        """Store a request and post its tally, once per message; `acknowledged`: (user id,
        message id) of acknowledgements it has already."""
        now = self._base.clock.now()
        policy = await self._base.policy(session, chat_id)
        request_id = await create_request(
            session,
            chat_id=chat_id,
            message_id=message_id,
            requester_id=requester_id,
            total=total,
            instant_reply=instant_reply,
            window=timedelta(minutes=policy.ack_window_minutes),
            now=now,
        )
        if request_id is not None:
            for user_id, acked_by in acknowledged:
                if user_id != requester_id:
                    await record_ack(session, request_id, user_id, now, AckVia.MESSAGE, acked_by)
            await self._live.post(
                session,
                kind=TALLY_KIND,
                subject_id=request_id,
                chat_id=chat_id,
                reply_to=message_id,
                now=now,
            )

    async def _count(
        self,
        session: AsyncSession,
        request_id: int,
        user_id: int,
        via: AckVia,
        message_id: int | None = None,
    ) -> bool:
        added = await record_ack(
            session, request_id, user_id, self._base.clock.now(), via, message_id
        )
        if added:
            await self._live.touch(session, TALLY_KIND, [request_id])
        return added

    # ---- the tally -------------------------------------------------------------------------

    async def render_tally(self, session: AsyncSession, request_id: int) -> Content | None:
        """The tally message's text and buttons (Bot API JSON), for sending or editing."""
        request = await session.get(AckRequest, request_id)
        if request is None:
            return None
        policy = await self._base.policy(session, request.chat_id)
        count = await ack_count(session, request_id)
        total = request.total_members
        if total and await is_counted_member(session, request.chat_id, request.requester_id):
            total -= 1  # who asked is not among those asked
        return tally_content(self._base.catalogs, policy.language, request.id, count, total)

    async def tally_posted(self, request_id: int, chat_id: int) -> None:
        """Once the tally is posted: measure the group for its "/28" part."""
        total = await self.member_total(chat_id)
        if total is None:
            return
        async with self._base.sessions() as session:
            changed = await session.execute(
                update(AckRequest)
                .where(
                    AckRequest.id == request_id, AckRequest.total_members.is_distinct_from(total)
                )
                .values(total_members=total)
                .execution_options(synchronize_session=False)
            )
            if getattr(changed, "rowcount", 0):
                await self._live.touch(session, TALLY_KIND, [request_id])
            await session.commit()

    async def member_total(self, chat_id: int) -> int | None:
        """People in the group: Telegram's member count minus the bots the roster knows (and us)."""
        count = await self._gateway.member_count(chat_id)
        if count is None:
            return None
        async with self._base.sessions() as session:
            bots = await bots_among_members(session, chat_id, self._gateway.bot_id)
        return max(count - 1 - bots, 0)

    # ---- buttons ---------------------------------------------------------------------------

    async def _pressed(
        self, session: AsyncSession, press: Press, request_id: int
    ) -> AckRequest | None:
        """The request the press names, when the press came from its tally message."""
        request = await session.get(AckRequest, request_id)
        if request is None or request.chat_id != press.chat.id:
            return None
        shown = await self._live.message_id(session, TALLY_KIND, request_id)
        return request if shown == press.message_id else None

    async def on_ack_button(self, press: Press, request_id: int) -> str | None:
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            request = await self._pressed(session, press, request_id)
            if request is None:
                return None
            await record_sender(session, press.chat, press.presser, now)
            toast = await self.acknowledge(session, request, press.presser)
            await session.commit()
        return toast

    async def acknowledge(self, session: AsyncSession, request: AckRequest, person: Person) -> str:
        """`person` pressed 收到 for `request` (on its tally, or in their digest): counted once,
        the tally touched; the toast. The caller commits."""
        lang = await self._base.language(session, request.chat_id, person)
        if person.id == request.requester_id:
            return self._base.text("ack.toast.own_request", lang)
        added = await self._count(session, request.id, person.id, AckVia.BUTTON)
        return self._base.text("ack.toast.recorded" if added else "ack.toast.already", lang)

    async def on_roster_button(self, press: Press, request_id: int) -> str | None:
        """Who has and has not acknowledged, to the requester or an admin, privately."""
        text = self._base.catalogs.text
        async with self._base.sessions() as session:
            request = await self._pressed(session, press, request_id)
            if request is None:
                return None
            await record_sender(session, press.chat, press.presser, self._base.clock.now())
            lang = await self._base.language(session, request.chat_id, press.presser)
            roster = await self.roster_text(session, request, lang)
            chat_id, requester_id = request.chat_id, request.requester_id
            await session.commit()
        user_id = press.presser.id
        if requester_id != user_id and not await self._admins.is_admin(chat_id, user_id):
            return text("ack.toast.roster_denied", lang)
        for part in split_text(roster):
            if not await self._gateway.send_text(user_id, part):
                return text("ack.toast.start_bot", lang)
        return text("ack.toast.roster_sent", lang)

    async def roster_text(self, session: AsyncSession, request: AckRequest, lang: str) -> str:
        """Who acknowledged and who has not, for the requester's eyes only."""
        catalogs = self._base.catalogs
        acked = dict(await acknowledged(session, request.id))
        missing = [
            m
            for m in await present_people(session, request.chat_id)
            if m.user_id not in acked and m.user_id != request.requester_id
        ]
        separator = catalogs.text("list.separator", lang)
        none = catalogs.text("ack.roster.none", lang)

        def names(users: list[str]) -> str:
            return separator.join(users) or none

        acked_names = [
            display_name(user) if user else str(user_id) for user_id, user in acked.items()
        ]
        title = await request_title(session, request)
        return "\n".join(
            (
                catalogs.text("ack.roster.header", lang, title=title),
                catalogs.text("ack.roster.acked", lang, count=len(acked), names=names(acked_names)),
                catalogs.text(
                    "ack.roster.missing",
                    lang,
                    count=len(missing),
                    names=names([display_name(m) for m in missing]),
                ),
                catalogs.text("ack.roster.note", lang),
            )
        )

    # ---- /ack ------------------------------------------------------------------------------

    async def on_ack_command(self, command: Command) -> str | None:
        """/ack replied to a message: that message gets the button and tally."""
        message = command.message
        chat_id = message.chat.id
        async with self._base.sessions() as session:
            lang = (await self._base.policy(session, chat_id)).language
        if not await self._admins.sent_by_admin(message):
            return self._base.text("admin.only", lang, command="/ack")
        target = message.reply_to
        if target is None:
            return self._base.text("ack.usage", lang)
        # The notice's author is who wants the answers; a bot's message is the admin's request.
        requester = message.sender_id if target.sender_is_bot else target.sender_id
        total = await self.member_total(chat_id)
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            await self.open_request(
                session,
                chat_id=chat_id,
                message_id=target.message_id,
                requester_id=requester,
                total=total,
                instant_reply=False,
            )
            chat = await session.get(Chat, chat_id)
            if chat is not None and chat.bot_can_delete:
                # The command has done its work; it need not stay in everyone's group.
                removal = delete_message(DELETE_KIND, chat_id, message.message_id)
                await enqueue(session, removal, not_before=now)
            await session.commit()
        return None


def tally_content(
    catalogs: Catalogs, lang: str, request_id: int, count: int, total: int | None
) -> Content:
    """The tally's text and buttons as Bot API JSON; `total`: the people asked, when known."""
    tally = (
        catalogs.text("ack.tally", lang, count=count, total=max(total, count))
        if total
        else catalogs.text("ack.tally_count", lang, count=count)
    )
    buttons = [
        {"text": catalogs.text("ack.button", lang), "callback_data": f"{ACK_BUTTON}:{request_id}"},
        {
            "text": catalogs.text("ack.roster_button", lang),
            "callback_data": f"{ROSTER_BUTTON}:{request_id}",
        },
    ]
    return {
        "text": f"{catalogs.text('ack.request', lang)}\n{tally}",
        "reply_markup": {"inline_keyboard": [buttons]},
    }
