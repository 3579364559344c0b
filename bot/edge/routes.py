"""PTB handlers that turn an update into a plain value, call what the composition root gives
them, and carry the answer back (a reply, a toast). Nothing behind them sees a PTB object."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.edge.context import JianfuContext
from bot.edge.inbound import chat_message, chat_ref, person
from bot.platform.inputs import Command, MemberChange, Press
from bot.platform.pipeline import Arrival
from policies.message import ChatMessage

OnCommand = Callable[[Command], Awaitable[str | None]]
OnPress = Callable[[Press, int], Awaitable[str | None]]
OnMessage = Callable[[ChatMessage], Awaitable[None]]
OnArrival = Callable[[Arrival], Awaitable[None]]
OnPrivateText = Callable[[ChatMessage], Awaitable[str | None]]
OnMemberChange = Callable[[MemberChange], Awaitable[None]]
Handler = BaseHandler[Update, JianfuContext, None]

# Callback data is a kind and a row id ("ack:17"); whom a press counts for comes from Telegram.
_BUTTON_DATA = re.compile(r"([a-z]{1,8}):([1-9][0-9]{0,17})")


def command(
    name: str, on_command: OnCommand, *, groups_only: bool = False, private_only: bool = False
) -> Handler:
    """/name (in groups only, or in private chats only, when so) answered with what
    `on_command` returns."""

    async def answer(update: Update, context: JianfuContext) -> None:
        message = update.effective_message
        if message is None:
            return
        args = tuple(context.args or ())
        reply = await on_command(Command(chat_message(message), name, args))
        if reply is not None:
            await message.reply_text(reply)

    chats = (
        filters.ChatType.GROUPS
        if groups_only
        else filters.ChatType.PRIVATE
        if private_only
        else filters.ALL
    )
    return CommandHandler(name, answer, filters=chats)


def buttons(routes: Mapping[str, OnPress], after: Callable[[], Awaitable[None]]) -> Handler:
    """Every button press: routed by its data's kind and answered with the toast the route gives,
    then `after` (e.g. show changed lists). A press no route takes (malformed, forged, of a kind
    the bot no longer has) is answered with nothing: unanswered, the client keeps spinning."""

    async def pressed(update: Update, context: JianfuContext) -> None:
        query = update.callback_query
        if query is None:
            return
        match = _BUTTON_DATA.fullmatch(query.data or "")
        route = routes.get(match[1]) if match is not None else None
        message = query.message
        if match is None or route is None or message is None:
            await query.answer()
            return
        press = Press(
            chat_ref(message.chat), message.message_id, person(query.from_user), query.data or ""
        )
        toast = await route(press, int(match[2]))
        await query.answer(toast)
        await after()

    return CallbackQueryHandler(pressed)


GROUP_CONTENT = filters.ChatType.GROUPS & ~filters.StatusUpdate.ALL & filters.UpdateType.MESSAGES
"""Messages and edits in groups, service messages left out: what the message pipeline reads."""


def group_messages(on_arrival: OnArrival) -> Handler:
    """Group messages that reach PTB's handlers (commands: the update stream takes the rest)."""

    async def received(update: Update, context: JianfuContext) -> None:
        message = update.message or update.edited_message
        if message is None:
            return
        edited = update.edited_message is not None
        await on_arrival(Arrival(update.update_id, chat_message(message, edited=edited)))

    return MessageHandler(GROUP_CONTENT, received)


def any_group_message(on_message: OnMessage) -> Handler:
    """Every update with a group message, service messages included."""

    async def received(update: Update, context: JianfuContext) -> None:
        message = update.effective_message
        if message is not None:
            await on_message(chat_message(message))

    return MessageHandler(filters.ChatType.GROUPS, received)


def private_texts(on_text: OnPrivateText) -> Handler:
    """Text (not commands) in a private chat, answered with what `on_text` returns."""

    async def received(update: Update, context: JianfuContext) -> None:
        message = update.message
        if message is None or message.text is None:
            return
        reply = await on_text(chat_message(message))
        if reply is not None:
            await message.reply_text(reply)

    return MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, received)


def member_changes(on_change: OnMemberChange, *, own: bool) -> Handler:
    """chat_member updates (someone's membership), or with `own` my_chat_member (the bot's)."""

    async def changed(update: Update, context: JianfuContext) -> None:
        change = update.my_chat_member if own else update.chat_member
        if change is None:
            return
        await on_change(
            MemberChange(
                update.update_id,
                chat_ref(change.chat),
                person(change.new_chat_member.user),
                str(change.old_chat_member.status),
                str(change.new_chat_member.status),
            )
        )

    kind = ChatMemberHandler.MY_CHAT_MEMBER if own else ChatMemberHandler.CHAT_MEMBER
    return ChatMemberHandler(changed, kind)
