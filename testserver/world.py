"""The simulated Telegram world: users, chats, messages and the update queue the bot polls.

Tests drive it directly (same asyncio loop): people send, edit and press, membership changes,
and the bot's requests act on it through the server. Telegram rules that shape delivery:

- Messages from other bots are stored in the chat but never delivered to our bot.
- In a group where the bot is not an admin and privacy mode is on (the default), only commands,
  replies to the bot's messages and service messages are delivered.
- Nothing is delivered from a group the bot is not a member of.
- `chat_member` updates are queued always and delivered only when the bot's current
  `allowed_updates` names them (Telegram's default set excludes them); other types likewise.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

JSON = dict[str, Any]
Clock = Callable[[], datetime]
ChatType = Literal["private", "group", "supergroup"]
MemberStatus = Literal["creator", "administrator", "member", "restricted", "left", "kicked"]
MediaKind = Literal["photo", "document", "voice", "video"]

DELETE_WINDOW = timedelta(hours=48)
PRESENT = frozenset({"creator", "administrator", "member", "restricted"})
DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
OPTIONAL_ADMIN_RIGHTS = ("can_pin_messages", "can_manage_topics")
RESTRICTED_FLAGS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)
DEFAULT_BOT_RIGHTS = frozenset({"can_manage_chat", "can_delete_messages", "can_invite_users"})


def unix(instant: datetime) -> int:
    return int(instant.timestamp())


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(eq=False)
class User:
    id: int
    first_name: str
    is_bot: bool = False
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started: bool = False
    """Whether the user has opened a private chat with the bot (the bot may write to them)."""
    blocked: bool = False
    """Whether the user has blocked the bot."""

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                data[key] = value
        return data


GROUP_ANONYMOUS_BOT = User(1087968824, "Group", is_bot=True, username="GroupAnonymousBot")


@dataclass(eq=False)
class Member:
    user: User
    status: MemberStatus
    rights: frozenset[str] = frozenset()
    is_anonymous: bool = False
    custom_title: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.status in ("creator", "administrator")

    def can(self, right: str) -> bool:
        return self.status == "creator" or (self.status == "administrator" and right in self.rights)

    def to_api(self) -> JSON:
        data: JSON = {"status": self.status, "user": self.user.to_api()}
        if self.status == "creator":
            data["is_anonymous"] = self.is_anonymous
        elif self.status == "administrator":
            data["can_be_edited"] = False
            data["is_anonymous"] = self.is_anonymous
            data.update({r: r in self.rights for r in ADMIN_RIGHTS})
            data.update({r: True for r in OPTIONAL_ADMIN_RIGHTS if r in self.rights})
        elif self.status == "restricted":
            data["is_member"] = True
            data.update({r: r in self.rights for r in RESTRICTED_FLAGS})
            data["until_date"] = 0
        elif self.status == "kicked":
            data["until_date"] = 0
        if self.custom_title and self.is_admin:
            data["custom_title"] = self.custom_title
        return data


@dataclass(eq=False)
class Chat:
    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    user: User | None = None
    """The other party of a private chat."""
    members: dict[int, Member] = field(default_factory=dict)
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    last_message_id: int = 0

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.is_group:
            data["title"] = self.title or ""
        elif self.user is not None:
            data.update(
                {k: v for k, v in self.user.to_api().items() if k in ("first_name", "last_name")}
            )
            if self.user.username:
                data["username"] = self.user.username
        if self.username and self.is_group:
            data["username"] = self.username
        return data

    def member(self, user: User) -> Member:
        return self.members.get(user.id) or Member(user, "left")


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: MediaKind
    content: bytes
    file_name: str | None = None
    mime_type: str | None = None

    def to_api(self) -> JSON:
        data: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.kind == "photo":
            data.update(width=640, height=480)
        elif self.kind == "video":
            data.update(width=640, height=480, duration=1)
        elif self.kind == "voice":
            data["duration"] = 1
        if self.file_name and self.kind in ("document", "video"):
            data["file_name"] = self.file_name
        if self.mime_type and self.kind != "photo":
            data["mime_type"] = self.mime_type
        return data


@dataclass(eq=False)
class ChatMessage:
    """One message in a chat, sent by a person, another bot, or the bot under test."""

    message_id: int
    chat: Chat
    date: datetime
    from_user: User | None
    sender_chat: Chat | None = None
    text: str | None = None
    entities: list[JSON] | None = None
    caption: str | None = None
    caption_entities: list[JSON] | None = None
    media: StoredFile | None = None
    poll: JSON | None = None
    reply_to: ChatMessage | None = None
    reply_markup: JSON | None = None
    forward_origin: JSON | None = None
    media_group_id: str | None = None
    service: JSON | None = None
    """Service message fields, e.g. {"new_chat_members": [...]}."""
    disable_notification: bool = False
    from_bot: bool = False
    """Sent by the bot under test."""
    edit_date: datetime | None = None
    deleted: bool = False
    deletable: bool = True
    """Set False to make deleteMessage fail for this message whatever the rules say."""

    @property
    def reply_to_message_id(self) -> int | None:
        return self.reply_to.message_id if self.reply_to else None

    @property
    def callback_data(self) -> list[str]:
        """Every callback_data of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]

    def to_api(self, *, with_reply: bool = True) -> JSON:
        data: JSON = {"message_id": self.message_id, "date": unix(self.date)}
        if self.from_user is not None:
            data["from"] = self.from_user.to_api()
        if self.sender_chat is not None:
            data["sender_chat"] = self.sender_chat.to_api()
        data["chat"] = self.chat.to_api()
        if self.forward_origin is not None:
            data["forward_origin"] = self.forward_origin
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        if self.edit_date is not None:
            data["edit_date"] = unix(self.edit_date)
        if self.text is not None:
            data["text"] = self.text
        if self.entities:
            data["entities"] = self.entities
        if self.media is not None:
            media = self.media.to_api()
            data[self.media.kind] = [media] if self.media.kind == "photo" else media
        if self.poll is not None:
            data["poll"] = self.poll
        if self.caption is not None:
            data["caption"] = self.caption
        if self.caption_entities:
            data["caption_entities"] = self.caption_entities
        if self.service:
            data.update(self.service)
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data


@dataclass(eq=False)
class CallbackPress:
    id: str
    user: User
    message: ChatMessage
    data: str | None
    answer: JSON | None = None
    """The answerCallbackQuery parameters, once answered."""


@dataclass(frozen=True, slots=True)
class Edit:
    chat_id: int
    message_id: int
    method: str
    before: JSON
    after: JSON
    at: datetime


@dataclass(frozen=True, slots=True)
class Deletion:
    chat_id: int
    message_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Update:
    update_id: int
    kind: str
    data: JSON

    def to_api(self) -> JSON:
        return {"update_id": self.update_id, self.kind: self.data}


class World:
    """Everything the fake Telegram knows; one per server."""

    def __init__(self, bot: User, clock: Clock | None = None) -> None:
        self.bot = bot
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.privacy_mode = True
        self.users: dict[int, User] = {bot.id: bot}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.presses: dict[str, CallbackPress] = {}
        self.edits: list[Edit] = []
        self.deletions: list[Deletion] = []
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._updates: list[Update] = []
        self._update_ids = itertools.count(100_001)
        # How often each update was handed out by getUpdates (more than once: redelivered).
        self.deliveries: Counter[int] = Counter()
        self.produced = 0
        self._user_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._press_ids = itertools.count(1)
        self._new_update = asyncio.Event()

    # ---- setting up ------------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        *,
        id: int | None = None,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "zh-hans",
        is_bot: bool = False,
        started: bool = False,
    ) -> User:
        """A person (or another bot); `started` means they have opened a chat with the bot."""
        user = User(
            id=id if id is not None else next(self._user_ids),
            first_name=first_name,
            is_bot=is_bot,
            last_name=last_name,
            username=username,
            language_code=language_code,
            started=started,
        )
        self.users[user.id] = user
        return user

    def add_group(
        self,
        title: str,
        *,
        id: int | None = None,
        supergroup: bool = True,
        username: str | None = None,
        creator: User | None = None,
        admins: Iterable[User] = (),
        members: Iterable[User] = (),
        admin_rights: Iterable[str] = ("can_delete_messages", "can_invite_users"),
        bot_status: MemberStatus = "administrator",
        bot_rights: Iterable[str] = DEFAULT_BOT_RIGHTS,
    ) -> Chat:
        """A group as it already is (no updates): its people, and the bot's place in it."""
        number = next(self._group_ids)
        chat_id = id if id is not None else (-1_001_000_000_000 - number if supergroup else -number)
        chat = Chat(chat_id, "supergroup" if supergroup else "group", title, username)
        if creator is not None:
            chat.members[creator.id] = Member(creator, "creator")
        for admin in admins:
            chat.members[admin.id] = Member(admin, "administrator", frozenset(admin_rights))
        for member in members:
            chat.members.setdefault(member.id, Member(member, "member"))
        chat.members[self.bot.id] = Member(self.bot, bot_status, frozenset(bot_rights))
        self.chats[chat.id] = chat
        return chat

    def private_chat(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(user.id, "private", user=user)
            self.chats[user.id] = chat
        return chat

    def chat_by_username(self, username: str) -> Chat | None:
        name = username.lstrip("@").lower()
        for chat in self.chats.values():
            if (chat.username or "").lower() == name:
                return chat
        for user in self.users.values():
            if (user.username or "").lower() == name:
                return self.private_chat(user)
        return None

    # ---- people acting -------------------------------------------------------------------

    def send(
        self,
        user: User,
        chat: Chat,
        text: str | None = None,
        *,
        entities: Sequence[JSON] | None = None,
        reply_to: ChatMessage | None = None,
        media: MediaKind | None = None,
        file_name: str | None = None,
        content: bytes | None = None,
        caption: str | None = None,
        caption_entities: Sequence[JSON] | None = None,
        poll: tuple[str, Sequence[str]] | None = None,
        forward_from: User | Chat | str | None = None,
        forward_date: datetime | None = None,
        anonymous: bool = False,
        date: datetime | None = None,
    ) -> ChatMessage:
        """`user` posts in `chat` (anonymous: as the group itself, like an anonymous admin).

        Text starting with "/" gets its bot_command entity unless `entities` is given.
        A private chat is opened by writing in it, so the user counts as having started the bot;
        someone writing in a group they are not in becomes a member.
        """
        if chat.user is not None:
            if chat.user is not user:
                raise ValueError(f"{user.first_name} cannot write in {chat.user.first_name}'s chat")
            user.started = True
            user.blocked = False
        elif chat.member(user).status not in PRESENT:
            chat.members[user.id] = Member(user, "member")
        if text is not None and entities is None and text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        message = ChatMessage(
            message_id=self._next_message_id(chat),
            chat=chat,
            date=date or self.clock(),
            from_user=GROUP_ANONYMOUS_BOT if anonymous else user,
            sender_chat=chat if anonymous else None,
            text=text,
            entities=list(entities) if entities else None,
            caption=caption,
            caption_entities=list(caption_entities) if caption_entities else None,
            media=self.new_file(media, file_name=file_name, content=content) if media else None,
            poll=self.new_poll(*poll) if poll else None,
            reply_to=reply_to,
            forward_origin=self._origin(forward_from, forward_date) if forward_from else None,
        )
        chat.messages[message.message_id] = message
        if self._delivers(message):
            self._push("message", message.to_api())
        return message

    def edit(
        self,
        message: ChatMessage,
        text: str,
        *,
        entities: Sequence[JSON] | None = None,
        date: datetime | None = None,
    ) -> ChatMessage:
        """The author edits their message's text (or caption, for media)."""
        if message.media is not None:
            message.caption = text
            message.caption_entities = list(entities) if entities else None
        else:
            message.text = text
            message.entities = list(entities) if entities else None
        message.edit_date = date or self.clock()
        if self._delivers(message):
            self._push("edited_message", message.to_api())
        return message

    def press(
        self, user: User, message: ChatMessage, data: str | None = None, *, check: bool = True
    ) -> CallbackPress:
        """`user` presses an inline button of `message`; `data` defaults to its first button.

        With check=False the data need not be on the keyboard (a forged press).
        """
        buttons = message.callback_data
        if data is None:
            if not buttons:
                raise ValueError(f"message {message.message_id} has no callback buttons")
            data = buttons[0]
        elif check and data not in buttons:
            raise ValueError(f"message {message.message_id} has no button with data {data!r}")
        press = CallbackPress(f"cbq-{next(self._press_ids)}", user, message, data)
        self.presses[press.id] = press
        self._push(
            "callback_query",
            {
                "id": press.id,
                "from": user.to_api(),
                "message": message.to_api(),
                "chat_instance": str(abs(message.chat.id) * 7919 % 10**12),
                "data": data,
            },
        )
        return press

    def block_bot(self, user: User) -> None:
        """The user blocks the bot: later sends to them get 403."""
        user.blocked = True
        chat = self.private_chat(user)
        self._membership_update(
            "my_chat_member", chat, user, Member(self.bot, "member"), Member(self.bot, "kicked")
        )

    def set_bot_status(
        self,
        chat: Chat,
        status: MemberStatus,
        *,
        by: User,
        rights: Iterable[str] = DEFAULT_BOT_RIGHTS,
    ) -> None:
        """Someone adds, removes, promotes or demotes the bot: a my_chat_member update."""
        old = chat.member(self.bot)
        new = Member(
            self.bot, status, frozenset(rights) if status == "administrator" else frozenset()
        )
        chat.members[self.bot.id] = new
        self._membership_update("my_chat_member", chat, by, old, new)
        if old.status not in PRESENT and status in PRESENT:
            self._service(chat, by, {"new_chat_members": [self.bot.to_api()]})

    def set_member_status(
        self,
        chat: Chat,
        user: User,
        status: MemberStatus,
        *,
        by: User | None = None,
        rights: Iterable[str] = ("can_delete_messages", "can_invite_users"),
    ) -> None:
        """A person joins, leaves, is promoted, demoted or kicked: a chat_member update,
        plus the join/leave service message."""
        old = chat.member(user)
        new = Member(user, status, frozenset(rights) if status == "administrator" else frozenset())
        chat.members[user.id] = new
        actor = by or user
        self._membership_update("chat_member", chat, actor, old, new)
        if old.status not in PRESENT and status in PRESENT:
            self._service(chat, actor, {"new_chat_members": [user.to_api()]})
        elif old.status in PRESENT and status not in PRESENT:
            self._service(chat, actor, {"left_chat_member": user.to_api()})

    # ---- the bot acting (called by the server) ------------------------------------------

    def bot_post(self, chat: Chat, **fields: Any) -> ChatMessage:
        """Store a message the bot sent; `fields` are ChatMessage attributes."""
        message = ChatMessage(
            message_id=self._next_message_id(chat),
            chat=chat,
            date=self.clock(),
            from_user=self.bot,
            from_bot=True,
            **fields,
        )
        chat.messages[message.message_id] = message
        return message

    def record_edit(self, message: ChatMessage, method: str, before: JSON) -> None:
        message.edit_date = self.clock()
        self.edits.append(
            Edit(
                message.chat.id, message.message_id, method, before, message.to_api(), self.clock()
            )
        )

    def delete(self, message: ChatMessage) -> None:
        message.deleted = True
        self.deletions.append(Deletion(message.chat.id, message.message_id, self.clock()))

    def new_file(
        self,
        kind: MediaKind,
        *,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        number = next(self._file_ids)
        default_mime = {
            "document": "application/octet-stream",
            "voice": "audio/ogg",
            "video": "video/mp4",
        }.get(kind)
        stored = StoredFile(
            file_id=f"{kind}-{number}-AgACAgUAAxkBAAI",
            file_unique_id=f"u{kind[0]}{number}",
            kind=kind,
            content=b"\x89fake-media" if content is None else content,
            file_name=file_name or (f"{kind}-{number}.bin" if kind == "document" else None),
            mime_type=mime_type or default_mime,
        )
        self.files[stored.file_id] = stored
        return stored

    def new_poll(self, question: str, options: Sequence[str], **flags: object) -> JSON:
        """A Poll object; `flags` override is_anonymous, type, allows_multiple_answers, ..."""
        return {
            "id": f"poll-{next(self._file_ids)}",
            "question": question,
            "options": [
                {"persistent_id": str(i), "text": text, "voter_count": 0}
                for i, text in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        } | flags

    # ---- updates ---------------------------------------------------------------------------

    def pending_updates(self, offset: int | None, limit: int) -> list[Update]:
        """Confirm updates below `offset`, then the next deliverable ones (at most `limit`)."""
        if offset is not None:
            if offset < 0:
                del self._updates[: max(0, len(self._updates) + offset)]
            else:
                self._updates = [u for u in self._updates if u.update_id >= offset]
        self._updates = [u for u in self._updates if u.kind in self.allowed_updates]
        if not self._updates:
            self._new_update.clear()
        handed = self._updates[:limit]
        self.deliveries.update(u.update_id for u in handed)
        return handed

    async def update_arrived(self) -> None:
        """Return when an update is produced (at once if one is waiting)."""
        await self._new_update.wait()

    def drop_pending_updates(self) -> None:
        self._updates.clear()
        self._new_update.clear()

    @property
    def queued_updates(self) -> list[Update]:
        """Updates produced and not yet confirmed by the bot."""
        return list(self._updates)

    # ---- queries for assertions ------------------------------------------------------------

    def visible_messages(self, chat: Chat) -> list[ChatMessage]:
        """Messages currently in the chat, oldest first."""
        return [m for m in chat.messages.values() if not m.deleted]

    def sent_by_bot(self, chat: Chat | None = None) -> list[ChatMessage]:
        """Everything the bot sent (deleted ones too), in one chat or in all."""
        chats = [chat] if chat is not None else list(self.chats.values())
        return [m for c in chats for m in c.messages.values() if m.from_bot]

    def deleted_ids(self, chat: Chat) -> list[int]:
        return [d.message_id for d in self.deletions if d.chat_id == chat.id]

    @property
    def callback_answers(self) -> list[CallbackPress]:
        """Presses the bot has answered, in the order they were pressed."""
        return [p for p in self.presses.values() if p.answer is not None]

    def edits_in(self, chat: Chat) -> list[Edit]:
        return [e for e in self.edits if e.chat_id == chat.id]

    # ---- internals -------------------------------------------------------------------------

    def _next_message_id(self, chat: Chat) -> int:
        chat.last_message_id += 1
        return chat.last_message_id

    def _push(self, kind: str, data: JSON) -> Update:
        update = Update(next(self._update_ids), kind, data)
        self._updates.append(update)
        self.produced += 1
        self._new_update.set()
        return update

    def add_raw_update(self, kind: str, data: JSON) -> Update:
        """An update as given, checked by nothing (a bot must survive a malformed one)."""
        return self._push(kind, data)

    def _delivers(self, message: ChatMessage) -> bool:
        if message.from_user is not None and message.from_user.is_bot and not message.sender_chat:
            return False
        chat = message.chat
        if not chat.is_group:
            return True
        bot = chat.member(self.bot)
        if bot.status not in PRESENT:
            return False
        if bot.is_admin or not self.privacy_mode or message.service:
            return True
        replied = message.reply_to
        return bool((message.text or "").startswith("/")) or (
            replied is not None and replied.from_bot
        )

    def _membership_update(
        self, kind: str, chat: Chat, actor: User, old: Member, new: Member
    ) -> None:
        self._push(
            kind,
            {
                "chat": chat.to_api(),
                "from": actor.to_api(),
                "date": unix(self.clock()),
                "old_chat_member": old.to_api(),
                "new_chat_member": new.to_api(),
            },
        )

    def _service(self, chat: Chat, actor: User, service: JSON) -> None:
        message = ChatMessage(
            self._next_message_id(chat), chat, self.clock(), actor, service=service
        )
        chat.messages[message.message_id] = message
        if chat.member(self.bot).status in PRESENT:
            self._push("message", message.to_api())

    def _origin(self, source: User | Chat | str, date: datetime | None) -> JSON:
        when = unix(date or self.clock())
        if isinstance(source, User):
            return {"type": "user", "date": when, "sender_user": source.to_api()}
        if isinstance(source, Chat):
            return {"type": "chat", "date": when, "sender_chat": source.to_api()}
        return {"type": "hidden_user", "date": when, "sender_user_name": source}
