"""The buttons on tallies and roll-calls, and what keeps those live messages current.

Callback data carries only a kind and a row id ("ack:17"). Whom a press counts for comes from
Telegram (the presser), and the press must come from the very message the bot posted for that
row, in its chat: data copied to another message or chat counts for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InputFile, MaybeInaccessibleMessage, Update
from telegram import User as TgUser
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application, CallbackQueryHandler

from bot import acks, rollcalls, tally
from bot.chat_admins import is_chat_admin
from bot.context import JianfuContext, Services
from bot.platform import outbox
from bot.platform.group_policies import group_policy
from bot.platform.i18n import language_for
from bot.platform.roster import record_sender
from bot.platform.storage.models import AckRequest, AckVia, Rollcall, RollcallStatus
from bot.platform.text_limits import split_text

DATA = re.compile(r"(ack|ackl|rcj|rcw|rcc):([1-9][0-9]{0,17})")
PATTERN = r"^(ack|ackl|rcj|rcw|rcc):"
SWEEP_JOB = "live-messages:sweep"


@dataclass(frozen=True, slots=True)
class Press:
    query: CallbackQuery
    user: TgUser
    message: MaybeInaccessibleMessage
    item_id: int


Action = Callable[[Press, JianfuContext], Awaitable[str | None]]
Live = TypeVar("Live", AckRequest, Rollcall)


async def on_button(update: Update, context: JianfuContext) -> None:
    query = update.callback_query
    if query is None:
        return
    match = DATA.fullmatch(query.data or "")
    if match is None or query.message is None:
        await query.answer()
        return
    press = Press(query, query.from_user, query.message, int(match[2]))
    toast = await ACTIONS[match[1]](press, context)
    await query.answer(toast)
    await tally.flush_and_arm(context)


async def _lang(session: AsyncSession, services: Services, chat_id: int, user: TgUser) -> str:
    policy = await group_policy(session, chat_id, services.settings.defaults)
    return language_for(user.language_code, policy.language)


def _toast(context: JianfuContext, key: str, lang: str) -> str:
    return context.services.catalogs.text(key, lang)


async def _pressed(
    session: AsyncSession,
    press: Press,
    model: type[Live],
    key_prefix: str,
    source_message_id: Callable[[Live], int],
) -> Live | None:
    """The tally or list the press names, or None when the press did not come from its message."""
    row = await session.get(model, press.item_id)
    if row is None or row.chat_id != press.message.chat.id:
        return None
    if row.bot_message_id is None:
        # The press beat the sent-hook: the outbox already knows the id.
        key = f"{key_prefix}:{row.chat_id}:{source_message_id(row)}"
        result = await outbox.sent_result(session, key) or {}
        row.bot_message_id = result.get("message_id")
    return row if row.bot_message_id == press.message.message_id else None


# ---- acknowledgements ------------------------------------------------------------------------


async def _request(session: AsyncSession, press: Press) -> AckRequest | None:
    return await _pressed(
        session, press, AckRequest, acks.REQUEST_KEY, lambda r: r.request_message_id
    )


async def acknowledge(press: Press, context: JianfuContext) -> str | None:
    services = context.services
    now = services.clock.now()
    async with services.sessions() as session:
        request = await _request(session, press)
        if request is None:
            return None
        await record_sender(session, press.message.chat, press.user, now)
        added = await acks.record_ack(session, request, press.user.id, now, AckVia.BUTTON)
        lang = await _lang(session, services, request.chat_id, press.user)
        await session.commit()
    return _toast(context, "ack.toast.recorded" if added else "ack.toast.already", lang)


async def send_roster(press: Press, context: JianfuContext) -> str | None:
    """Who has and has not acknowledged, to the requester or an admin, privately."""
    services = context.services
    async with services.sessions() as session:
        request = await _request(session, press)
        if request is None:
            return None
        await record_sender(session, press.message.chat, press.user, services.clock.now())
        lang = await _lang(session, services, request.chat_id, press.user)
        text = await acks.roster_text(session, services, request, lang)
        chat_id, requester_id = request.chat_id, request.requester_id
        await session.commit()
    if requester_id != press.user.id and not await is_chat_admin(context, chat_id, press.user.id):
        return _toast(context, "ack.toast.roster_denied", lang)
    try:
        for part in split_text(text):
            await context.bot.send_message(press.user.id, part)
    except (Forbidden, BadRequest):
        return _toast(context, "ack.toast.start_bot", lang)
    return _toast(context, "ack.toast.roster_sent", lang)


# ---- roll-calls ---------------------------------------------------------------------------


async def _rollcall(session: AsyncSession, press: Press) -> Rollcall | None:
    return await _pressed(
        session, press, Rollcall, rollcalls.ROLLCALL_KEY, lambda r: r.source_message_id
    )


async def join(press: Press, context: JianfuContext) -> str | None:
    services = context.services
    now = services.clock.now()
    async with services.sessions() as session:
        rollcall = await _rollcall(session, press)
        if rollcall is None:
            return None
        lang = await _lang(session, services, rollcall.chat_id, press.user)
        if rollcall.status != RollcallStatus.OPEN.value:
            return _toast(context, "rollcall.toast.closed", lang)
        await record_sender(session, press.message.chat, press.user, now)
        entry = await rollcalls.join(session, rollcall, press.user, now)
        if entry is not None:
            await rollcalls.queue_note_prompt(session, services, rollcall, entry, lang, now)
        await session.commit()
    services.outbox.wake()
    return _toast(context, "rollcall.toast.joined" if entry else "rollcall.toast.already", lang)


async def withdraw(press: Press, context: JianfuContext) -> str | None:
    services = context.services
    now = services.clock.now()
    async with services.sessions() as session:
        rollcall = await _rollcall(session, press)
        if rollcall is None:
            return None
        lang = await _lang(session, services, rollcall.chat_id, press.user)
        if rollcall.status != RollcallStatus.OPEN.value:
            return _toast(context, "rollcall.toast.closed", lang)
        withdrawn = await rollcalls.withdraw(session, rollcall, press.user.id, now)
        await session.commit()
    return _toast(
        context, "rollcall.toast.withdrawn" if withdrawn else "rollcall.toast.not_joined", lang
    )


async def close(press: Press, context: JianfuContext) -> str | None:
    """The initiator ends the roll-call and gets its entries as CSV in private.

    A roll-call an anonymous admin started (as the group itself) is closed by any admin.
    It is closed first, so the CSV is the final list; if the CSV cannot be delivered (the
    presser never started the bot) it is opened again and they are told how to fix that.
    """
    services = context.services
    chat_id = press.message.chat.id
    async with services.sessions() as session:
        rollcall = await _rollcall(session, press)
        if rollcall is None:
            return None
        lang = await _lang(session, services, chat_id, press.user)
        initiator_id, is_open = rollcall.initiator_id, rollcall.status == RollcallStatus.OPEN
        await session.commit()
    if not is_open:
        return _toast(context, "rollcall.toast.closed", lang)
    if initiator_id != press.user.id and not (
        initiator_id == chat_id and await is_chat_admin(context, chat_id, press.user.id)
    ):
        return _toast(context, "rollcall.toast.close_denied", lang)
    now = services.clock.now()
    async with services.sessions() as session:
        rollcall = await session.get(Rollcall, press.item_id)
        if rollcall is None or rollcall.status != RollcallStatus.OPEN:
            return _toast(context, "rollcall.toast.closed", lang)
        rollcalls.close(rollcall, now)
        entries = await rollcalls.live_entries(session, rollcall.id)
        document = await rollcalls.entries_csv(session, services, rollcall, entries, lang)
        caption = services.catalogs.text(
            "rollcall.csv_caption", lang, title=rollcall.title, count=len(entries)
        )
        await session.commit()
    try:
        await context.bot.send_document(
            press.user.id,
            InputFile(document, filename=f"rollcall-{press.item_id}.csv"),
            caption=caption,
        )
    except (Forbidden, BadRequest):
        async with services.sessions() as session:
            reopened = await session.get(Rollcall, press.item_id)
            if reopened is not None:
                reopened.status, reopened.closed_at = RollcallStatus.OPEN.value, None
                reopened.list_dirty = True
            await session.commit()
        return _toast(context, "rollcall.toast.start_bot", lang)
    return _toast(context, "rollcall.toast.closed", lang)


ACTIONS: dict[str, Action] = {
    "ack": acknowledge,
    "ackl": send_roster,
    "rcj": join,
    "rcw": withdraw,
    "rcc": close,
}


def setup(application: Application, group: int) -> None:  # type: ignore[type-arg]
    services: Services = application.bot_data.services
    application.add_handler(CallbackQueryHandler(on_button, pattern=PATTERN), group=group)
    services.sent_hooks.register(acks.REQUEST_KEY, acks.sent_hook(application.bot, services))
    services.sent_hooks.register(rollcalls.ROLLCALL_KEY, rollcalls.sent_hook(services))
    services.sent_hooks.register(tally.EDIT_KEY, tally.sent_hook(services))
    services.ticks.append(tally.flush)
    # Absorbed replies and reposts mark lists dirty from the message pipeline, which has no
    # job queue at hand: a short sweep picks them up.
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            tally.flush_and_arm,
            interval=tally.EDIT_INTERVAL,
            first=tally.EDIT_INTERVAL,
            name=SWEEP_JOB,
        )
