"""What the world shows, written down as it changes.

After each step of the script (or, later, every moment someone types), `catch_up` writes what
happened since the last time: what people posted, what the bot removed, posted, edited and
answered in each group — which every member of the group sees — and what each person received
privately from the bot.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from testserver.world import JSON, Chat, ChatMessage, World

ZONE = ZoneInfo("Asia/Shanghai")
INDENT = "        "
BODY = INDENT + "│ "


class Transcript:
    def __init__(self, world: World, out: TextIO) -> None:
        self._world = world
        self._out = out
        self._seen: set[tuple[int, int]] = set()
        self._unshown: set[tuple[int, int]] = set()
        self._deletions = 0
        self._edits = 0
        self._answered: set[str] = set()

    def heading(self, when: datetime, title: str) -> None:
        stamp = when.astimezone(ZONE).strftime("%a %d %b %Y %H:%M")
        self._write("", f"══ {stamp} (Asia/Shanghai) · {title} ══")

    def note(self, *lines: str) -> None:
        self._write(*(f"  {line}" for line in lines))

    def catch_up(self, *, show: bool = True) -> None:
        """Write what happened since the last call (or only take note of it: show=False)."""
        new = [m for c in self._world.chats.values() for m in c.messages.values() if self._new(m)]
        deletions = self._world.deletions[self._deletions :]
        edits = self._world.edits[self._edits :]
        answers = [p for p in self._world.callback_answers if p.id not in self._answered]
        self._seen.update((m.chat.id, m.message_id) for m in new)
        self._deletions += len(deletions)
        self._edits += len(edits)
        self._answered.update(p.id for p in answers)
        if not show:
            self._unshown.update((m.chat.id, m.message_id) for m in new)
            return
        for message in new:
            if not message.from_bot:
                self._write(self._posted(message))
        for deletion in deletions:
            gone = self._world.chats[deletion.chat_id].messages[deletion.message_id]
            whose = "its own message" if gone.from_bot else _sender(gone)
            self._write(
                f"{INDENT}✂ the bot removes from {_place(gone.chat)} {whose}: {_quote(gone)}"
            )
        for message in new:
            if message.from_bot and message.chat.is_group:
                self._bot_message(message, f"posts in {_place(message.chat)}")
        for edit in edits:
            chat = self._world.chats[edit.chat_id]
            self._write(
                f"{INDENT}✎ the bot edits its message #{edit.message_id} in {_place(chat)}:"
            )
            self._write(*_body(str(edit.after.get("text") or edit.after.get("caption") or "")))
            self._write(*_buttons(edit.after.get("reply_markup")))
        for press in answers:
            toast = (press.answer or {}).get("text")
            if toast:
                self._write(f"{INDENT}💬 {press.user.first_name} sees a pop-up: {toast}")
        for message in new:
            if message.from_bot and message.chat.user is not None:
                self._bot_message(message, f"✉ to {message.chat.user.first_name}, privately")

    def group_view(self, chat: Chat) -> None:
        """The group as each of its members sees it now."""
        self._write("", f"  {_place(chat)} as each of its members sees it:")
        for message in self._world.visible_messages(chat):
            if message.service is None:
                self._write(f"    #{message.message_id} {_sender(message)}: {_first_line(message)}")

    def inbox(self, users: Iterable[tuple[str, Chat]]) -> None:
        """What each person has received privately from the bot (besides what was only taken
        note of, such as the answer to their /start)."""
        self._write("", "  Received privately from the bot:")
        nothing: list[str] = []
        for name, chat in users:
            received = [
                m
                for m in chat.messages.values()
                if m.from_bot and (chat.id, m.message_id) not in self._unshown
            ]
            if not received:
                nothing.append(name)
            for message in received:
                self._write(f"    {name}: {_first_line(message)}")
        if nothing:
            self._write(f"    nothing: {'、'.join(nothing)}")

    def _new(self, message: ChatMessage) -> bool:
        return (message.chat.id, message.message_id) not in self._seen

    def _posted(self, message: ChatMessage) -> str:
        stamp = message.date.astimezone(ZONE).strftime("%H:%M")
        where = _place(message.chat) if message.chat.is_group else "privately to the bot"
        replying = message.reply_to
        to = f" (replying to #{replying.message_id})" if replying is not None else ""
        if message.service is not None:
            return f"{stamp}  {where} {_service(message)}"
        lines = (message.text or message.caption or "").split("\n")
        head = f"{stamp}  {where} #{message.message_id} {_sender(message)}{to}: {lines[0]}"
        return "\n".join([head, *(f"{INDENT}{line}" for line in lines[1:])])

    def _bot_message(self, message: ChatMessage, action: str) -> None:
        silent = " 🔕 silently" if message.disable_notification else ""
        replying = message.reply_to
        to = f", replying to #{replying.message_id}" if replying is not None else ""
        self._write(f"{INDENT}🤖 the bot {action}{silent}{to} (#{message.message_id}):")
        self._write(*_body(message.text or message.caption or ""))
        self._write(*_buttons(message.reply_markup))

    def _write(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self._out, flush=True)


def _place(chat: Chat) -> str:
    return f"【{chat.title}】"


def _sender(message: ChatMessage) -> str:
    if message.from_bot:
        return "the bot"
    if message.sender_chat is not None:
        return f"{message.sender_chat.title} (anonymous)"
    return message.from_user.first_name if message.from_user is not None else "someone"


def _service(message: ChatMessage) -> str:
    service = message.service or {}
    joined = service.get("new_chat_members") or []
    names = "、".join(str(member.get("first_name")) for member in joined)
    return f"{_sender(message)} adds {names}" if names else f"{_sender(message)}: {service}"


def _first_line(message: ChatMessage) -> str:
    text = message.text or message.caption or ""
    first, _, rest = text.partition("\n")
    return first + (" …" if rest else "")


def _quote(message: ChatMessage) -> str:
    return f"「{_first_line(message)}」 (#{message.message_id})"


def _body(text: str) -> list[str]:
    return [f"{BODY}{line}" for line in text.split("\n")]


def _buttons(markup: JSON | None) -> list[str]:
    rows = (markup or {}).get("inline_keyboard") or []
    keys = [f"[{button.get('text')}]" for row in rows for button in row]
    return [f"{BODY}{' '.join(keys)}"] if keys else []
