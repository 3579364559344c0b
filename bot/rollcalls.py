"""接龙 chains turned into one roll-call message with a live list (issue 5)."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytz
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import User as TgUser

from bot.context import Services
from bot.incoming import Incoming
from bot.platform import outbox
from bot.platform.group_policies import group_policy
from bot.platform.outbox import SentItem
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
from policies.classification import RollCallEntry
from policies.decisions import OpenRollCall
from policies.rollcall import entry_key

log = logging.getLogger(__name__)

ROLLCALL_KEY = "rollcall"
NOTE_PROMPT_KEY = "rcnote"
DELETE_KEY = "rcdel"
NOTE_CHARS = 40
MATCH_LATEST = 5
# A note typed without replying to the prompt belongs to the latest prompt, if this recent.
NOTE_WITHOUT_REPLY_WINDOW = timedelta(hours=24)


async def open_rollcalls(session: AsyncSession, chat_id: int) -> tuple[OpenRollCall, ...]:
    """The chat's latest open roll-calls; entries numbered as the live list shows them.

    Roll-calls nobody closed stay open; only the latest few are worth comparing a chain with.
    """
    rollcalls = await session.scalars(
        select(Rollcall)
        .where(Rollcall.chat_id == chat_id, Rollcall.status == RollcallStatus.OPEN.value)
        .order_by(Rollcall.id.desc())
        .limit(MATCH_LATEST)
    )
    found = []
    for rollcall in rollcalls.all():
        entries = await live_entries(session, rollcall.id)
        found.append(
            OpenRollCall(
                rollcall.id,
                rollcall.source_message_id,
                rollcall.bot_message_id,
                rollcall.title,
                tuple(
                    RollCallEntry(number, entry.name, entry.extra or "")
                    for number, entry in enumerate(entries, 1)
                ),
            )
        )
    return tuple(found)


async def live_entries(session: AsyncSession, rollcall_id: int) -> list[RollcallEntry]:
    """Entries not withdrawn, in list order."""
    rows = await session.scalars(
        select(RollcallEntry)
        .where(RollcallEntry.rollcall_id == rollcall_id, RollcallEntry.withdrawn_at.is_(None))
        .order_by(RollcallEntry.position, RollcallEntry.id)
    )
    return list(rows.all())


async def start(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """A new chain: its entries stored (the initiator's own line is theirs) and one live list."""
    chain = incoming.classification.rollcall
    facts, now = incoming.facts, incoming.now
    if chain is None:
        return
    created = await insert_ignore(
        session,
        Rollcall,
        {
            "chat_id": facts.chat_id,
            "source_message_id": facts.message_id,
            "initiator_id": facts.sender_id,
            "title": chain.title,
            "status": RollcallStatus.OPEN.value,
            "created_at": now,
        },
        keys=["chat_id", "source_message_id"],
    )
    if not created:
        return
    rollcall = await session.scalar(
        select(Rollcall).where(
            Rollcall.chat_id == facts.chat_id, Rollcall.source_message_id == facts.message_id
        )
    )
    assert rollcall is not None
    _add_entries(
        session,
        rollcall,
        chain.entries,
        incoming,
        after=0,
        has_own=False,
        source=EntrySource.ORIGINAL,
    )
    await session.flush()
    lang = incoming.policy.language
    await outbox.enqueue(
        session,
        key=f"{ROLLCALL_KEY}:{facts.chat_id}:{facts.message_id}",
        chat_id=facts.chat_id,
        method="sendMessage",
        payload={
            "chat_id": facts.chat_id,
            **list_content(services, lang, rollcall, await live_entries(session, rollcall.id)),
            "reply_parameters": {
                "message_id": facts.message_id,
                "allow_sending_without_reply": True,
            },
            "disable_notification": True,
        },
        not_before=now,
    )


async def merge(session: AsyncSession, services: Services, incoming: Incoming) -> None:
    """A repost of a known chain: its new lines joined to the list, the repost removed.

    A line missing from the repost is withdrawn only when the one reposting is its person;
    anyone else's copy may simply be older, so the line stays.
    """
    decision, facts, now = incoming.decision, incoming.facts, incoming.now
    rollcall = await session.get(Rollcall, decision.rollcall_id) if decision.rollcall_id else None
    if rollcall is None or rollcall.chat_id != facts.chat_id:
        return
    reposter = incoming.message.from_user
    live = await live_entries(session, rollcall.id)
    changed = _add_entries(
        session,
        rollcall,
        decision.new_rollcall_entries,
        incoming,
        after=await _last_position(session, rollcall.id),
        has_own=any(entry.user_id == facts.sender_id for entry in live),
        source=EntrySource.REPOST,
    )
    for dropped in decision.dropped_rollcall_entries:
        entry = _find_live(live, dropped)
        if entry is None:
            continue
        if entry.user_id == facts.sender_id or (
            entry.user_id is None and reposter is not None and is_person(entry.name, reposter)
        ):
            entry.withdrawn_at = now
            changed = True
        else:
            log.info(
                "roll-call %s: repost %s by %s left out entry %s (%s); kept",
                rollcall.id,
                facts.message_id,
                facts.sender_id,
                entry.id,
                entry.name,
            )
    if changed:
        rollcall.list_dirty = True
    if decision.delete_message:
        await outbox.enqueue_delete(
            session,
            prefix=DELETE_KEY,
            chat_id=facts.chat_id,
            message_id=facts.message_id,
            not_before=now,
        )


def _add_entries(
    session: AsyncSession,
    rollcall: Rollcall,
    parsed: Sequence[RollCallEntry],
    incoming: Incoming,
    *,
    after: int,
    has_own: bool,
    source: EntrySource,
) -> bool:
    """The posted lines, numbered on from `after`; the first naming the poster is theirs, unless
    they already have one. True when any was added."""
    poster, sender_id = incoming.message.from_user, incoming.facts.sender_id
    for position, line in enumerate(parsed, after + 1):
        mine = not has_own and poster is not None and is_person(line.name, poster)
        has_own = has_own or mine
        session.add(
            RollcallEntry(
                rollcall_id=rollcall.id,
                position=position,
                name=line.name,
                extra=line.extra or None,
                user_id=sender_id if mine else None,
                source=source.value,
                added_at=incoming.now,
                added_by=sender_id,
            )
        )
    return bool(parsed)


async def join(
    session: AsyncSession, rollcall: Rollcall, user: TgUser, now: datetime
) -> RollcallEntry | None:
    """Add the presser under their name (or claim the line written for them); None if listed."""
    live = await live_entries(session, rollcall.id)
    if any(entry.user_id == user.id for entry in live):
        return None
    entry = next((e for e in live if e.user_id is None and is_person(e.name, user)), None)
    if entry is not None:
        entry.user_id = user.id
    else:
        entry = RollcallEntry(
            rollcall_id=rollcall.id,
            position=await _last_position(session, rollcall.id) + 1,
            name=user.full_name,
            source=EntrySource.BUTTON.value,
            user_id=user.id,
            added_at=now,
            added_by=user.id,
        )
        session.add(entry)
    rollcall.list_dirty = True
    await session.flush()
    return entry


async def withdraw(session: AsyncSession, rollcall: Rollcall, user_id: int, now: datetime) -> bool:
    """Take the presser's own line off the list; False when they had none."""
    result = await session.execute(
        update(RollcallEntry)
        .where(
            RollcallEntry.rollcall_id == rollcall.id,
            RollcallEntry.user_id == user_id,
            RollcallEntry.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=now)
    )
    if not getattr(result, "rowcount", 0):
        return False
    rollcall.list_dirty = True
    return True


def close(rollcall: Rollcall, now: datetime) -> None:
    rollcall.status = RollcallStatus.CLOSED.value
    rollcall.closed_at = now
    rollcall.list_dirty = True


def is_person(name: str, user: TgUser) -> bool:
    """Whether a list line names this user (given name, full name either way, or username)."""
    variants = {user.first_name, user.full_name, f"{user.last_name or ''}{user.first_name}"}
    if user.username:
        variants.add(user.username)
    return _name_key(name) in {_name_key(v) for v in variants if v}


def _name_key(name: str) -> str:
    return entry_key(RollCallEntry(None, name))


def _find_live(live: Sequence[RollcallEntry], dropped: RollCallEntry) -> RollcallEntry | None:
    """The stored line a diff's entry stands for: by its number in the list, checked by name."""
    key = entry_key(dropped)
    if dropped.number is not None and 0 < dropped.number <= len(live):
        candidate = live[dropped.number - 1]
        if entry_key(_as_parsed(candidate)) == key:
            return candidate
    return next((e for e in live if entry_key(_as_parsed(e)) == key), None)


def _as_parsed(entry: RollcallEntry) -> RollCallEntry:
    return RollCallEntry(None, entry.name, entry.extra or "")


async def _last_position(session: AsyncSession, rollcall_id: int) -> int:
    last = await session.scalar(
        select(func.max(RollcallEntry.position)).where(RollcallEntry.rollcall_id == rollcall_id)
    )
    return last or 0


# ---- the message -------------------------------------------------------------------------


def list_content(
    services: Services, lang: str, rollcall: Rollcall, entries: Sequence[RollcallEntry]
) -> dict[str, Any]:
    """The roll-call message's text (fitted to Telegram's limit) and buttons, as Bot API JSON."""
    catalogs = services.catalogs
    is_open = rollcall.status == RollcallStatus.OPEN.value
    template = "rollcall.message" if is_open else "rollcall.message_closed"
    lines = [_entry_line(services, lang, number, e) for number, e in enumerate(entries, 1)]

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
    content: dict[str, Any] = {"text": text}
    if is_open:
        button = "rollcall.button"
        content["reply_markup"] = {
            "inline_keyboard": [
                [
                    {
                        "text": catalogs.text(f"{button}.join", lang),
                        "callback_data": f"rcj:{rollcall.id}",
                    },
                    {
                        "text": catalogs.text(f"{button}.withdraw", lang),
                        "callback_data": f"rcw:{rollcall.id}",
                    },
                ],
                [
                    {
                        "text": catalogs.text(f"{button}.close", lang),
                        "callback_data": f"rcc:{rollcall.id}",
                    }
                ],
            ]
        }
    return content


def _entry_line(services: Services, lang: str, number: int, entry: RollcallEntry) -> str:
    if entry.extra:
        return services.catalogs.text(
            "rollcall.entry_note", lang, number=number, name=entry.name, note=entry.extra
        )
    return services.catalogs.text("rollcall.entry", lang, number=number, name=entry.name)


async def list_edit(
    session: AsyncSession, services: Services, rollcall: Rollcall
) -> dict[str, Any]:
    """The editMessageText payload that brings a roll-call's message up to date."""
    policy = await group_policy(session, rollcall.chat_id, services.settings.defaults)
    entries = await live_entries(session, rollcall.id)
    return {
        "chat_id": rollcall.chat_id,
        "message_id": rollcall.bot_message_id,
        **list_content(services, policy.language, rollcall, entries),
    }


async def entries_csv(
    session: AsyncSession,
    services: Services,
    rollcall: Rollcall,
    entries: Sequence[RollcallEntry],
    lang: str,
) -> bytes:
    """The live entries as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    policy = await group_policy(session, rollcall.chat_id, services.settings.defaults)
    zone = pytz.timezone(policy.timezone)
    columns = ("number", "name", "note", "user_id", "joined_at")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([services.catalogs.text(f"rollcall.csv.{c}", lang) for c in columns])
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


# ---- the note that follows a join ---------------------------------------------------------


async def queue_note_prompt(
    session: AsyncSession,
    services: Services,
    rollcall: Rollcall,
    entry: RollcallEntry,
    lang: str,
    now: datetime,
) -> None:
    """Ask the joiner privately for a note (带家属, 3人), if the bot may write to them."""
    if entry.user_id is None:
        return
    user = await session.get(User, entry.user_id)
    if user is None or not user.can_dm:
        return
    await outbox.enqueue(
        session,
        key=f"{NOTE_PROMPT_KEY}:{entry.id}",
        chat_id=entry.user_id,
        method="sendMessage",
        payload={
            "chat_id": entry.user_id,
            "text": services.catalogs.text("rollcall.note_prompt", lang, title=rollcall.title),
            "reply_markup": {"force_reply": True},
        },
        not_before=now,
    )


async def note_target(
    session: AsyncSession, user_id: int, reply_to_message_id: int | None, now: datetime
) -> RollcallEntry | None:
    """The entry a private message from `user_id` is a note for: the prompt it replies to,
    or without a reply the latest recent prompt; only the user's own live entry counts."""
    prompts = await session.execute(
        select(OutboxItem.idempotency_key, OutboxItem.result, OutboxItem.sent_at)
        .where(
            OutboxItem.chat_id == user_id,
            OutboxItem.idempotency_key.startswith(f"{NOTE_PROMPT_KEY}:"),
            OutboxItem.status == OutboxStatus.SENT.value,
        )
        .order_by(OutboxItem.id.desc())
        .limit(50)
    )
    key = None
    for item_key, result, sent_at in prompts:
        if reply_to_message_id is None:
            if sent_at is not None and now - sent_at <= NOTE_WITHOUT_REPLY_WINDOW:
                key = item_key
            break
        if (result or {}).get("message_id") == reply_to_message_id:
            key = item_key
            break
    if key is None:
        return None
    entry = await session.get(RollcallEntry, int(key.split(":", 1)[1]))
    if entry is None or entry.user_id != user_id or entry.withdrawn_at is not None:
        return None
    rollcall = await session.get(Rollcall, entry.rollcall_id)
    if rollcall is None or rollcall.status != RollcallStatus.OPEN.value:
        return None
    return entry


async def set_note(session: AsyncSession, entry: RollcallEntry, note: str) -> str:
    """Store the note on the entry and mark the list for an update; the note as kept."""
    kept = " ".join(note.split())[:NOTE_CHARS]
    entry.extra = kept or None
    await session.execute(
        update(Rollcall).where(Rollcall.id == entry.rollcall_id).values(list_dirty=True)
    )
    return kept


def sent_hook(services: Services) -> outbox.SentHook:
    """Learn the roll-call message's id once it is sent, so its list can be edited."""

    async def on_sent(item: SentItem) -> None:
        message_id = item.result.get("message_id")
        if not isinstance(message_id, int):
            return
        _, chat_id, source_message_id = item.key.split(":")
        async with services.sessions() as session:
            await session.execute(
                update(Rollcall)
                .where(
                    Rollcall.chat_id == int(chat_id),
                    Rollcall.source_message_id == int(source_message_id),
                )
                .values(bot_message_id=message_id)
            )
            await session.commit()

    return on_sent
