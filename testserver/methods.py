"""Bot API methods acting on the simulated world, with Telegram's answers and error wording.

Parameters arrive already checked against the spec and decoded to native values. Methods not
simulated here get the generic answer: True when the spec says they return Boolean, otherwise
400 "method ... is not simulated by the test server" (not a spec violation).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from testserver.formatting import HtmlEntityError, parse_html
from testserver.spec import UploadedFile
from testserver.webhook import WebhookPusher
from testserver.world import (
    DEFAULT_ALLOWED_UPDATES,
    DELETE_WINDOW,
    JSON,
    PRESENT,
    Chat,
    ChatMessage,
    MediaKind,
    Member,
    StoredFile,
    User,
    World,
    utf16_len,
)

Params = Mapping[str, Any]
Handler = Callable[[Params], Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
DELETE_BATCH_LIMIT = 100
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files: "file is too big"
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
_STALE_QUERY = "query is too old and response timeout expired or query ID is invalid"
_MEDIA: dict[str, MediaKind] = {
    "sendPhoto": "photo",
    "sendDocument": "document",
    "sendVoice": "voice",
    "sendVideo": "video",
}


class ApiError(Exception):
    """A Telegram error answer."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


class BotMethods:
    """The simulated methods; `handler(name)` finds one."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook: JSON | None = None
        self.pusher: WebhookPusher | None = None
        self._poll_cancel: asyncio.Event | None = None
        self.closing = False
        self._handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": self.get_webhook_info,
            "getUpdates": self.get_updates,
            "sendMessage": self.send_message,
            "sendPoll": self.send_poll,
            "sendMediaGroup": self.send_media_group,
            "copyMessage": self.copy_message,
            "forwardMessage": self.forward_message,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "leaveChat": self.leave_chat,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
        }
        for method in _MEDIA:
            self._handlers[method] = self._media_sender(method)

    def handler(self, method: str) -> Handler | None:
        return self._handlers.get(method)

    # ---- chats and access ------------------------------------------------------------------

    def chat(self, chat_id: object) -> Chat:
        """The chat named by an id or @username, or 400 chat not found."""
        world = self.world
        found: Chat | None = None
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            found = world.chat_by_username(chat_id)
        else:
            try:
                number = int(str(chat_id))
            except ValueError:
                number = 0
            found = world.chats.get(number)
            if found is None and number in world.users and number != world.bot.id:
                found = world.private_chat(world.users[number])
        if found is None:
            raise bad_request("chat not found")
        return found

    def reachable_chat(self, chat_id: object) -> Chat:
        """A chat the bot may act in: 403 when kicked, blocked or never started."""
        chat = self.chat(chat_id)
        if chat.user is not None:
            user = chat.user
            if user.is_bot:
                raise forbidden("bot can't send messages to bots")
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
            return chat
        status = chat.member(self.world.bot).status
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        if status not in PRESENT:
            raise forbidden(f"bot is not a member of the {chat.type} chat")
        return chat

    # ---- account -------------------------------------------------------------------------

    def get_me(self, params: Params) -> JSON:
        return self.world.bot.to_api() | {
            "can_join_groups": True,
            "can_read_all_group_messages": not self.world.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def set_my_commands(self, params: Params) -> bool:
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        for command in commands:
            if not _COMMAND.fullmatch(command["command"]):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command["description"]) <= 256:
                raise bad_request("command description must be non-empty")
        self.commands[_scope_key(params)] = list(commands)
        return True

    def get_my_commands(self, params: Params) -> list[JSON]:
        return self.commands.get(_scope_key(params), [])

    def delete_my_commands(self, params: Params) -> bool:
        self.commands.pop(_scope_key(params), None)
        return True

    # ---- updates ---------------------------------------------------------------------------

    async def set_webhook(self, params: Params) -> bool:
        """Record the webhook and push updates to it (plain http is accepted here)."""
        await self._stop_pushing()
        if params.get("drop_pending_updates"):
            self.world.drop_pending_updates()
        if not params["url"]:
            return True
        self.webhook = {k: v for k, v in params.items() if not isinstance(v, UploadedFile)}
        if "allowed_updates" in params:
            self.world.allowed_updates = (
                frozenset(params["allowed_updates"]) or DEFAULT_ALLOWED_UPDATES
            )
        self.pusher = WebhookPusher(self.world, params["url"], params.get("secret_token"))
        self.pusher.start()
        return True

    async def delete_webhook(self, params: Params) -> bool:
        await self._stop_pushing()
        if params.get("drop_pending_updates"):
            self.world.drop_pending_updates()
        return True

    async def _stop_pushing(self) -> None:
        self.webhook = None
        if self.pusher is not None:
            await self.pusher.stop()
            self.pusher = None

    def get_webhook_info(self, params: Params) -> JSON:
        info: JSON = {
            "url": (self.webhook or {}).get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.queued_updates),
        }
        if self.webhook and "allowed_updates" in self.webhook:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        if self.pusher is not None and self.pusher.last_error is not None:
            info["last_error_date"] = self.pusher.last_error.date
            info["last_error_message"] = self.pusher.last_error.message
        return info

    @property
    def polling(self) -> bool:
        """Whether a getUpdates long poll is waiting."""
        return self._poll_cancel is not None

    async def get_updates(self, params: Params) -> list[JSON]:
        """Long poll; a newer getUpdates ends a waiting one with 409 like Telegram."""
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        world = self.world
        if "allowed_updates" in params:
            world.allowed_updates = frozenset(params["allowed_updates"]) or DEFAULT_ALLOWED_UPDATES
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        updates = world.pending_updates(params.get("offset"), limit)
        timeout = float(params.get("timeout", 0))
        if updates or timeout <= 0 or self.closing:
            return [u.to_api() for u in updates]
        if self._poll_cancel is not None:
            self._poll_cancel.set()
        cancel = self._poll_cancel = asyncio.Event()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while not updates and not cancel.is_set() and loop.time() < deadline:
                arrival = asyncio.ensure_future(world.update_arrived())
                cancelled = asyncio.ensure_future(cancel.wait())
                await asyncio.wait(
                    {arrival, cancelled},
                    timeout=deadline - loop.time(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                arrival.cancel()
                cancelled.cancel()
                updates = world.pending_updates(None, limit)
        finally:
            if self._poll_cancel is cancel:
                self._poll_cancel = None
        if cancel.is_set() and not updates and not self.closing:
            raise ApiError(
                409,
                "Conflict: terminated by other getUpdates request; "
                "make sure that only one bot instance is running",
            )
        return [u.to_api() for u in updates]

    async def shutdown(self) -> None:
        """End a waiting long poll with no updates and stop webhook delivery."""
        self.closing = True
        if self._poll_cancel is not None:
            self._poll_cancel.set()
        await self._stop_pushing()

    # ---- sending ---------------------------------------------------------------------------

    def send_message(self, params: Params) -> JSON:
        chat = self.reachable_chat(params["chat_id"])
        text, entities = _formatted(params, "text", "parse_mode", "entities", TEXT_LIMIT)
        return self._post(chat, params, text=text, entities=entities)

    def _media_sender(self, method: str) -> Handler:
        kind = _MEDIA[method]

        def send(params: Params) -> JSON:
            chat = self.reachable_chat(params["chat_id"])
            media = self._file(kind, params[kind])
            caption, entities = _caption(params)
            return self._post(chat, params, media=media, caption=caption, caption_entities=entities)

        return send

    def send_media_group(self, params: Params) -> list[JSON]:
        """An album; files uploaded with attach:// are stored with placeholder content."""
        chat = self.reachable_chat(params["chat_id"])
        items = params["media"]
        if not 2 <= len(items) <= 10:
            raise bad_request("wrong number of media items: send from 2 to 10")
        group_id = f"album-{chat.id}-{chat.last_message_id + 1}"
        sent = []
        for item in items:
            kind = item["type"]
            if kind not in ("photo", "video", "document"):
                raise bad_request(f"media of type {kind} is not simulated by the test server")
            reference = item["media"]
            media = (
                self.world.new_file(kind)
                if reference.startswith("attach://")
                else self._file(kind, reference)
            )
            caption, entities = _caption(item)
            sent.append(
                self._post(
                    chat,
                    params,
                    media=media,
                    caption=caption,
                    caption_entities=entities,
                    media_group_id=group_id,
                )
            )
        return sent

    def send_poll(self, params: Params) -> JSON:
        chat = self.reachable_chat(params["chat_id"])
        options = params["options"]
        if not 2 <= len(options) <= 12:
            raise bad_request("poll must have from 2 to 12 options")
        flags = ("is_anonymous", "type", "allows_multiple_answers", "allows_revoting", "is_closed")
        poll = self.world.new_poll(
            params["question"],
            [o["text"] for o in options],
            **{k: params[k] for k in flags if k in params},
        )
        return self._post(chat, params, poll=poll)

    def copy_message(self, params: Params) -> JSON:
        chat = self.reachable_chat(params["chat_id"])
        source = self._source(params, "copy")
        if source.service is not None:
            raise bad_request("message can't be copied")
        content = _carried(source)
        if "caption" in params:
            content["caption"], content["caption_entities"] = _caption(params)
        copy = self._post(chat, params, **content)
        return {"message_id": copy["message_id"]}

    def forward_message(self, params: Params) -> JSON:
        chat = self.reachable_chat(params["chat_id"])
        source = self._source(params, "forward")
        origin = source.forward_origin or _origin_of(source)
        return self._post(chat, params, **_carried(source), forward_origin=origin)

    def _post(self, chat: Chat, params: Params, **content: Any) -> JSON:
        markup = params.get("reply_markup")
        message = self.world.bot_post(
            chat,
            reply_to=self._reply_target(chat, params.get("reply_parameters")),
            reply_markup=markup if isinstance(markup, dict) else None,
            disable_notification=bool(params.get("disable_notification", False)),
            **content,
        )
        return message.to_api()

    def _reply_target(self, chat: Chat, reply: JSON | None) -> ChatMessage | None:
        if reply is None:
            return None
        target_chat = self.chat(reply["chat_id"]) if "chat_id" in reply else chat
        target = target_chat.messages.get(reply["message_id"])
        if target is None or target.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return target

    def _source(self, params: Params, verb: str) -> ChatMessage:
        source_chat = self.chat(params["from_chat_id"])
        source = source_chat.messages.get(params["message_id"])
        if source is None or source.deleted:
            raise bad_request(f"message to {verb} not found")
        return source

    def _file(self, kind: MediaKind, value: object) -> StoredFile:
        if isinstance(value, UploadedFile):
            return self.world.new_file(
                kind,
                content=value.body,
                file_name=value.filename or None,
                mime_type=value.content_type or None,
            )
        text = str(value)
        if text.startswith(("http://", "https://")):
            return self.world.new_file(kind, file_name=text.rsplit("/", 1)[-1] or None)
        stored = self.world.files.get(text)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    def get_file(self, params: Params) -> JSON:
        stored = self.world.files.get(params["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.content) > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": f"{stored.kind}s/{stored.file_id}",
        }

    # ---- editing ---------------------------------------------------------------------------

    def edit_message_text(self, params: Params) -> JSON:
        message = self._editable(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text, entities = _formatted(params, "text", "parse_mode", "entities", TEXT_LIMIT)
        return self._apply_edit(
            message, "editMessageText", params, text=text, entities=entities or None
        )

    def edit_message_caption(self, params: Params) -> JSON:
        message = self._editable(params)
        if message.media is None:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = _caption(params)
        return self._apply_edit(
            message, "editMessageCaption", params, caption=caption, caption_entities=entities
        )

    def edit_message_reply_markup(self, params: Params) -> JSON:
        message = self._editable(params)
        return self._apply_edit(message, "editMessageReplyMarkup", params)

    def _editable(self, params: Params) -> ChatMessage:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not simulated by the test server")
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request("message identifier is not specified")
        chat = self.reachable_chat(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(
        self, message: ChatMessage, method: str, params: Params, **content: Any
    ) -> JSON:
        """Telegram drops the inline keyboard of an edited message unless it is given again."""
        markup = params.get("reply_markup")
        content["reply_markup"] = markup if isinstance(markup, dict) else None
        unchanged = all(_same(getattr(message, key), value) for key, value in content.items())
        if unchanged:
            raise bad_request(_NOT_MODIFIED)
        before = message.to_api()
        for key, value in content.items():
            setattr(message, key, value)
        self.world.record_edit(message, method, before)
        return message.to_api()

    # ---- deleting --------------------------------------------------------------------------

    def delete_message(self, params: Params) -> bool:
        chat = self._deleting_in(params["chat_id"])
        message = chat.messages.get(params["message_id"])
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if not self._may_delete(chat, message):
            raise bad_request("message can't be deleted")
        self.world.delete(message)
        return True

    def delete_messages(self, params: Params) -> bool:
        """Telegram deletes what it can and skips the rest, answering True."""
        ids = params["message_ids"]
        if not ids:
            raise bad_request("message identifiers are not specified")
        if len(ids) > DELETE_BATCH_LIMIT:
            raise bad_request("too many message identifiers specified")
        chat = self._deleting_in(params["chat_id"])
        for message_id in ids:
            message = chat.messages.get(message_id)
            if message is not None and not message.deleted and self._may_delete(chat, message):
                self.world.delete(message)
        return True

    def _deleting_in(self, chat_id: object) -> Chat:
        chat = self.chat(chat_id)
        if chat.is_group:
            return self.reachable_chat(chat_id)
        if chat.user is not None and chat.user.blocked:
            raise forbidden("bot was blocked by the user")
        return chat

    def _may_delete(self, chat: Chat, message: ChatMessage) -> bool:
        if not message.deletable or self.world.clock() - message.date > DELETE_WINDOW:
            return False
        if not chat.is_group or message.from_bot:
            return True
        return chat.member(self.world.bot).can("can_delete_messages")

    # ---- callbacks -------------------------------------------------------------------------

    def answer_callback_query(self, params: Params) -> bool:
        press = self.world.presses.get(params["callback_query_id"])
        if press is None or press.answer is not None:
            raise bad_request(_STALE_QUERY)
        if len(params.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        press.answer = dict(params)
        return True

    # ---- chats and members ---------------------------------------------------------------

    def get_chat(self, params: Params) -> JSON:
        chat = self._looked_up(params["chat_id"])
        info = chat.to_api() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        return info

    def get_chat_member(self, params: Params) -> JSON:
        chat = self._looked_up(params["chat_id"])
        user = self.world.users.get(params["user_id"])
        if user is None:
            raise bad_request("user not found")
        if chat.user is not None:
            present = user.id in (chat.user.id, self.world.bot.id)
            return Member(user, "member" if present else "left").to_api()
        return chat.member(user).to_api()

    def get_chat_administrators(self, params: Params) -> list[JSON]:
        chat = self._looked_up(params["chat_id"])
        if chat.user is not None:
            raise bad_request("there are no administrators in the private chat")
        return [m.to_api() for m in chat.members.values() if m.is_admin]

    def get_chat_member_count(self, params: Params) -> int:
        chat = self._looked_up(params["chat_id"])
        if chat.user is not None:
            return 2
        return sum(1 for m in chat.members.values() if m.status in PRESENT)

    def leave_chat(self, params: Params) -> bool:
        chat = self._looked_up(params["chat_id"])
        if chat.user is not None:
            raise bad_request("chat member status can't be changed in private chats")
        self.world.set_bot_status(chat, "left", by=self.world.bot)
        return True

    def send_chat_action(self, params: Params) -> bool:
        self.reachable_chat(params["chat_id"])
        return True

    def _looked_up(self, chat_id: object) -> Chat:
        chat = self.chat(chat_id)
        if chat.is_group:
            return self.reachable_chat(chat_id)
        return chat


def _formatted(
    params: Params, text_key: str, mode_key: str, entities_key: str, limit: int
) -> tuple[str, list[JSON] | None]:
    text: str = params.get(text_key, "")
    entities: list[JSON] | None = params.get(entities_key)
    mode = params.get(mode_key)
    if mode is not None and mode.lower() == "html":
        try:
            text, entities = parse_html(text)
        except HtmlEntityError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    elif mode is not None and mode.lower() not in ("markdown", "markdownv2"):
        raise bad_request(f"unsupported parse_mode {mode!r}")
    if not text.strip():
        raise bad_request("message text is empty" if limit == TEXT_LIMIT else "caption is empty")
    size = utf16_len(text)
    if size > limit:
        raise bad_request(
            "message is too long" if limit == TEXT_LIMIT else "message caption is too long"
        )
    for entity in entities or ():
        if entity["offset"] + entity["length"] > size or entity["length"] <= 0:
            raise bad_request(f"can't parse entities: entity {entity} is outside the text")
    return text, entities or None


def _caption(params: Params) -> tuple[str | None, list[JSON] | None]:
    if not params.get("caption"):
        return None, None
    return _formatted(params, "caption", "parse_mode", "caption_entities", CAPTION_LIMIT)


def _same(current: object, new: object) -> bool:
    return (current or None) == (new or None)


def _scope_key(params: Params) -> tuple[str, str]:
    scope = json.dumps(params.get("scope") or {"type": "default"}, sort_keys=True)
    return scope, params.get("language_code", "")


def _carried(source: ChatMessage) -> dict[str, Any]:
    """What a copy or a forward carries over from the message it repeats."""
    return {
        "text": source.text,
        "entities": source.entities,
        "media": source.media,
        "poll": source.poll,
        "caption": source.caption,
        "caption_entities": source.caption_entities,
    }


def _origin_of(message: ChatMessage) -> JSON:
    date = int(message.date.timestamp())
    if message.sender_chat is not None:
        return {"type": "chat", "date": date, "sender_chat": message.sender_chat.to_api()}
    sender: User | None = message.from_user
    if sender is None:
        return {"type": "hidden_user", "date": date, "sender_user_name": "Unknown"}
    return {"type": "user", "date": date, "sender_user": sender.to_api()}
