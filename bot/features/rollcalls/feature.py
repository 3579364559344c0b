"""Roll-calls in the bot: the list as a live message, merged reposts, the buttons, the notes."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.rollcalls.store import (
    add_entries,
    last_position,
    listed_lines,
    live_entries,
    open_rollcalls,
    withdraw_entries,
)
from bot.platform.admins import Admins
from bot.platform.essentials import Essentials
from bot.platform.i18n import Catalogs, language_for
from bot.platform.inputs import Press
from bot.platform.live import Content, LiveKind, LiveMessages
from bot.platform.outbox.items import Outgoing, OutgoingFile, Settled, delete_message
from bot.platform.outbox.store import enqueue
from bot.platform.pipeline import Decided, Feature
from bot.platform.roster import mark_unreachable, record_sender
from bot.platform.storage.models import (
    EntrySource,
    OutboxItem,
    OutboxStatus,
    Rollcall,
    RollcallEntry,
    RollcallStatus,
    User,
)
from bot.platform.storage.upsert import insert_ignore
from bot.platform.text_limits import TEXT_LIMIT, utf16_len
from policies.decide import Situation
from policies.features.rollcalls import (
    RULES,
    MergeRollcall,
    RollcallsState,
    StartRollcall,
    is_listed,
    line_to_claim,
    may_close,
)
from policies.labels import Label
from policies.message import ChatMessage, Person

log = logging.getLogger(__name__)

LIST_KIND = "rollcall/list"
DELETE_KIND = "rollcall/delete"  # a merged repost
CSV_KIND = "rollcall/csv"
NOTE_PROMPT_KIND = "rollcall/note_prompt"
JOIN_BUTTON, WITHDRAW_BUTTON, CLOSE_BUTTON = "rcj", "rcw", "rcc"
NOTE_CHARS = 40
# A note typed without replying to the prompt belongs to the latest prompt, if this recent.
NOTE_WITHOUT_REPLY_WINDOW = timedelta(hours=24)


class Rollcalls:
    def __init__(
        self,
        base: Essentials,
        live: LiveMessages,
        admins: Admins,
    ) -> None:
        self._base = base
        self._live = live
        self._admins = admins

    def feature(self) -> Feature[RollcallsState]:
        return Feature(
            "rollcalls",
            RULES,
            self.load,
            {StartRollcall: self.start, MergeRollcall: self.merge},
        )

    def live_kind(self) -> LiveKind:
        return LiveKind(self.render_list)

    async def load(self, session: AsyncSession, situation: Situation) -> RollcallsState:
        if not situation.classification.has(Label.ROLLCALL):
            return RollcallsState()
        return RollcallsState(await open_rollcalls(session, situation.message.chat.id))

    async def start(self, session: AsyncSession, start: StartRollcall, decided: Decided) -> None:
        """A new chain: its entries stored (the poster's own line is theirs) and one live list."""
        message, now = decided.message, decided.now
        chat_id = message.chat.id
        created = await insert_ignore(
            session,
            Rollcall,
            {
                "chat_id": chat_id,
                "source_message_id": message.message_id,
                "initiator_id": message.sender_id,
                "title": start.chain.title,
                "status": RollcallStatus.OPEN.value,
                "created_at": now,
            },
            keys=["chat_id", "source_message_id"],
        )
        if not created:
            return
        rollcall_id = await session.scalar(
            select(Rollcall.id).where(
                Rollcall.chat_id == chat_id, Rollcall.source_message_id == message.message_id
            )
        )
        assert rollcall_id is not None
        add_entries(
            session,
            rollcall_id,
            start.chain.entries,
            after=0,
            owned=start.owned,
            by=message.sender_id,
            source=EntrySource.ORIGINAL,
            now=now,
        )
        await session.flush()
        await self._live.post(
            session,
            kind=LIST_KIND,
            subject_id=rollcall_id,
            chat_id=chat_id,
            reply_to=message.message_id,
            now=now,
        )

    async def merge(self, session: AsyncSession, merge: MergeRollcall, decided: Decided) -> None:
        """A repost of a known chain: its new lines joined to the list, the poster's own left-out
        lines withdrawn, the repost removed."""
        message, now = decided.message, decided.now
        rollcall = await session.get(Rollcall, merge.rollcall_id)
        if rollcall is None or rollcall.chat_id != message.chat.id:
            return
        add_entries(
            session,
            rollcall.id,
            merge.added,
            after=await last_position(session, rollcall.id),
            owned=merge.owned,
            by=message.sender_id,
            source=EntrySource.REPOST,
            now=now,
        )
        await withdraw_entries(session, merge.withdrawn, now)
        if merge.kept:
            log.info(
                "roll-call %s: repost %s by %s left out entries %s; kept",
                rollcall.id,
                message.message_id,
                message.sender_id,
                list(merge.kept),
            )
        if merge.added or merge.withdrawn:
            await self._live.touch(session, LIST_KIND, [rollcall.id])
        if merge.delete:
            removal = delete_message(DELETE_KIND, message.chat.id, message.message_id)
            await enqueue(session, removal, not_before=now)

    # ---- the message -----------------------------------------------------------------------

    async def render_list(self, session: AsyncSession, rollcall_id: int) -> Content | None:
        rollcall = await session.get(Rollcall, rollcall_id)
        if rollcall is None:
            return None
        policy = await self._base.policy(session, rollcall.chat_id)
        entries = await live_entries(session, rollcall_id)
        return list_content(self._base.catalogs, policy.language, rollcall, entries)

    # ---- buttons ---------------------------------------------------------------------------

    async def _pressed(
        self, session: AsyncSession, press: Press, rollcall_id: int
    ) -> Rollcall | None:
        """The roll-call the press names, when the press came from its list message."""
        rollcall = await session.get(Rollcall, rollcall_id)
        if rollcall is None or rollcall.chat_id != press.chat.id:
            return None
        shown = await self._live.message_id(session, LIST_KIND, rollcall_id)
        return rollcall if shown == press.message_id else None

    async def on_join(self, press: Press, rollcall_id: int) -> str | None:
        """Add the presser under their name (or claim the line written for them)."""
        now, person = self._base.clock.now(), press.presser
        async with self._base.sessions() as session:
            rollcall = await self._pressed(session, press, rollcall_id)
            if rollcall is None:
                return None
            if rollcall.status == RollcallStatus.OPEN.value:
                await record_sender(session, press.chat, person, now)
            toast = await self.join(session, rollcall, person)
            await session.commit()
        return toast

    async def join(self, session: AsyncSession, rollcall: Rollcall, person: Person) -> str:
        """`person` pressed 接龙 (on the list, or in their digest): listed once, the list
        touched, a note asked for; the toast. The caller commits."""
        now = self._base.clock.now()
        lang = await self._base.language(session, rollcall.chat_id, person)
        if rollcall.status != RollcallStatus.OPEN.value:
            return self._toast("rollcall.toast.closed", lang)
        live = await live_entries(session, rollcall.id)
        lines = listed_lines(live)
        joined = not is_listed(lines, person.id)
        if joined:
            claimed = line_to_claim(lines, person)
            if claimed is not None:
                entry = next(e for e in live if e.id == claimed.entry_id)
                entry.user_id = person.id
            else:
                entry = RollcallEntry(
                    rollcall_id=rollcall.id,
                    position=await last_position(session, rollcall.id) + 1,
                    name=person.full_name,
                    source=EntrySource.BUTTON.value,
                    user_id=person.id,
                    added_at=now,
                    added_by=person.id,
                )
                session.add(entry)
            await session.flush()
            await self._live.touch(session, LIST_KIND, [rollcall.id])
            await self._prompt_for_note(session, rollcall, entry, lang, now)
        return self._toast("rollcall.toast.joined" if joined else "rollcall.toast.already", lang)

    async def on_withdraw(self, press: Press, rollcall_id: int) -> str | None:
        """Take the presser's own line off the list."""
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            rollcall = await self._pressed(session, press, rollcall_id)
            if rollcall is None:
                return None
            lang = await self._base.language(session, rollcall.chat_id, press.presser)
            if rollcall.status != RollcallStatus.OPEN.value:
                return self._toast("rollcall.toast.closed", lang)
            lines = listed_lines(await live_entries(session, rollcall.id))
            own = [line.entry_id for line in lines if line.user_id == press.presser.id]
            if own:
                await withdraw_entries(session, own, now)
                await self._live.touch(session, LIST_KIND, [rollcall.id])
            await session.commit()
        return self._toast("rollcall.toast.withdrawn" if own else "rollcall.toast.not_joined", lang)

    async def on_close(self, press: Press, rollcall_id: int) -> str | None:
        """The initiator ends the roll-call and gets its entries as CSV in private.

        A roll-call an anonymous admin started (as the group itself) is closed by any admin.
        The CSV goes through the outbox, so it arrives even if sending fails for a while; a
        presser the bot may not write to (never started it) is told so and nothing closes.
        """
        chat_id, presser = press.chat.id, press.presser
        async with self._base.sessions() as session:
            rollcall = await self._pressed(session, press, rollcall_id)
            if rollcall is None:
                return None
            lang = await self._base.language(session, chat_id, press.presser)
            initiator_id, is_open = rollcall.initiator_id, rollcall.status == RollcallStatus.OPEN
            reachable = await _can_write_to(session, presser.id)
        if not is_open:
            return self._toast("rollcall.toast.closed", lang)
        is_admin = initiator_id == chat_id and await self._admins.is_admin(chat_id, presser.id)
        if not may_close(initiator_id, chat_id, presser.id, is_admin):
            return self._toast("rollcall.toast.close_denied", lang)
        if not reachable:
            return self._toast("rollcall.toast.start_bot", lang)
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            rollcall = await session.get(Rollcall, rollcall_id)
            if rollcall is None or rollcall.status != RollcallStatus.OPEN:
                return self._toast("rollcall.toast.closed", lang)
            rollcall.status, rollcall.closed_at = RollcallStatus.CLOSED.value, now
            await self._live.touch(session, LIST_KIND, [rollcall.id])
            entries = await live_entries(session, rollcall.id)
            policy = await self._base.policy(session, chat_id)
            document = entries_csv(self._base.catalogs, lang, policy.timezone, entries)
            caption = self._base.text(
                "rollcall.csv_caption", lang, title=rollcall.title, count=len(entries)
            )
            delivery = Outgoing(
                CSV_KIND,
                presser.id,
                "sendDocument",
                {"chat_id": presser.id, "caption": caption},
                subject_id=rollcall.id,
                file=OutgoingFile("document", f"rollcall-{rollcall.id}.csv", document, "text/csv"),
            )
            await enqueue(session, delivery, not_before=now)
            await session.commit()
        return self._toast("rollcall.toast.closed", lang)

    def _toast(self, key: str, lang: str) -> str:
        return self._base.text(key, lang)

    # ---- the note that follows a join ------------------------------------------------------

    async def _prompt_for_note(
        self,
        session: AsyncSession,
        rollcall: Rollcall,
        entry: RollcallEntry,
        lang: str,
        now: datetime,
    ) -> None:
        """Ask the joiner privately for a note (带家属, 3人), if the bot may write to them."""
        if entry.user_id is None or not await _can_write_to(session, entry.user_id):
            return
        prompt = Outgoing(
            NOTE_PROMPT_KIND,
            entry.user_id,
            "sendMessage",
            {
                "chat_id": entry.user_id,
                "text": self._base.text("rollcall.note_prompt", lang, title=rollcall.title),
                "reply_markup": {"force_reply": True},
            },
            subject_id=entry.id,
        )
        await enqueue(session, prompt, not_before=now)

    async def on_private_text(self, message: ChatMessage) -> str | None:
        """A joiner's private reply to the prompt becomes the note on their line; the reply."""
        sender = message.sender
        if sender is None or message.text is None:
            return None
        reply = message.reply_to.message_id if message.reply_to is not None else None
        async with self._base.sessions() as session:
            entry = await _note_target(session, sender.id, reply, self._base.clock.now())
            if entry is None:
                return None
            kept = " ".join(message.text.split())[:NOTE_CHARS]
            entry.extra = kept or None
            await self._live.touch(session, LIST_KIND, [entry.rollcall_id])
            await session.commit()
        lang = language_for(sender.language_code, self._base.defaults.language)
        return self._base.text("rollcall.note_saved", lang, note=kept)


async def _can_write_to(session: AsyncSession, user_id: int) -> bool:
    user = await session.get(User, user_id)
    return user is not None and user.can_dm


async def _note_target(
    session: AsyncSession, user_id: int, reply_to_message_id: int | None, now: datetime
) -> RollcallEntry | None:
    """The entry a private message from `user_id` is a note for: the prompt it replies to,
    or without a reply the latest recent prompt; only the user's own live entry counts."""
    prompts = await session.execute(
        select(OutboxItem.subject_id, OutboxItem.result, OutboxItem.sent_at)
        .where(
            OutboxItem.kind == NOTE_PROMPT_KIND,
            OutboxItem.chat_id == user_id,
            OutboxItem.status == OutboxStatus.SENT.value,
        )
        .order_by(OutboxItem.id.desc())
        .limit(50)
    )
    entry_id = None
    for subject_id, result, sent_at in prompts:
        if reply_to_message_id is None:
            if sent_at is not None and now - sent_at <= NOTE_WITHOUT_REPLY_WINDOW:
                entry_id = subject_id
            break
        if (result or {}).get("message_id") == reply_to_message_id:
            entry_id = subject_id
            break
    if entry_id is None:
        return None
    entry = await session.get(RollcallEntry, entry_id)
    if entry is None or entry.user_id != user_id or entry.withdrawn_at is not None:
        return None
    rollcall = await session.get(Rollcall, entry.rollcall_id)
    if rollcall is None or rollcall.status != RollcallStatus.OPEN.value:
        return None
    return entry


async def on_csv_settled(sessions: async_sessionmaker[AsyncSession], settled: Settled) -> None:
    """A CSV the presser can no longer receive (they blocked the bot): note that they cannot be
    written to; the roll-call stays closed and the file stays in the outbox's record."""
    if settled.sent:
        return
    log.warning(
        "roll-call %s: the CSV for %s failed: %s",
        settled.subject_id,
        settled.chat_id,
        settled.reason,
    )
    async with sessions() as session:
        await mark_unreachable(session, settled.chat_id)
        await session.commit()


def list_content(
    catalogs: Catalogs, lang: str, rollcall: Rollcall, entries: Sequence[RollcallEntry]
) -> Content:
    """The roll-call message's text (fitted to Telegram's limit) and buttons, as Bot API JSON."""
    is_open = rollcall.status == RollcallStatus.OPEN.value
    template = "rollcall.message" if is_open else "rollcall.message_closed"
    lines = [_entry_line(catalogs, lang, number, e) for number, e in enumerate(entries, 1)]

    def render(shown: int) -> str:
        listed = lines[:shown]
        if shown < len(lines):
            listed.append(catalogs.text("rollcall.more", lang, count=len(lines) - shown))
        body = "\n".join(listed) or catalogs.text("rollcall.empty", lang)
        return catalogs.text(template, lang, title=rollcall.title, entries=body, count=len(entries))

    shown = len(lines)
    text = render(shown)
    while utf16_len(text) > TEXT_LIMIT and shown > 0:
        # Drop roughly what is too much at once, then line by line.
        excess = utf16_len(text) - TEXT_LIMIT
        average = max(1, utf16_len("\n".join(lines[:shown])) // max(shown, 1))
        shown = max(0, shown - max(1, excess // average))
        text = render(shown)
    content: Content = {"text": text}
    if is_open:

        def button(name: str, data: str) -> dict[str, str]:
            label = catalogs.text(f"rollcall.button.{name}", lang)
            return {"text": label, "callback_data": f"{data}:{rollcall.id}"}

        content["reply_markup"] = {
            "inline_keyboard": [
                [button("join", JOIN_BUTTON), button("withdraw", WITHDRAW_BUTTON)],
                [button("close", CLOSE_BUTTON)],
            ]
        }
    return content


def _entry_line(catalogs: Catalogs, lang: str, number: int, entry: RollcallEntry) -> str:
    if entry.extra:
        return catalogs.text(
            "rollcall.entry_note", lang, number=number, name=entry.name, note=entry.extra
        )
    return catalogs.text("rollcall.entry", lang, number=number, name=entry.name)


def entries_csv(
    catalogs: Catalogs, lang: str, zone_name: str, entries: Sequence[RollcallEntry]
) -> bytes:
    """The live entries as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    zone = pytz.timezone(zone_name)
    columns = ("number", "name", "note", "user_id", "joined_at")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([catalogs.text(f"rollcall.csv.{c}", lang) for c in columns])
    for number, entry in enumerate(entries, 1):
        writer.writerow(
            [
                number,
                entry.name,
                entry.extra or "",
                entry.user_id or "",
                entry.added_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
