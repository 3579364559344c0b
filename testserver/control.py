"""A thin JSON control API over the world, for a bot running in another process.

POST (JSON body) /control/users, /control/groups, /control/send, /control/send_many,
/control/edit, /control/press, /control/bot_status, /control/member_status, /control/fault,
/control/clear_faults,
/control/clock (only on a server given a clock setter);
GET /control/sent?chat_id=, /control/messages?chat_id=, /control/requests[?method=],
/control/violations, /control/clock.
Errors answer 400 {"error": "..."}.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tornado.web import RequestHandler

from testserver.world import JSON, Chat, ChatMessage, User

if TYPE_CHECKING:
    from testserver.server import BotApiServer


class ControlError(Exception):
    pass


def control_routes(server: BotApiServer) -> list[tuple[str, type[RequestHandler], JSON]]:
    return [(r"/control/([a-z_]+)", _ControlHandler, {"server": server})]


def _message_view(message: ChatMessage) -> JSON:
    return message.to_api() | {
        "deleted": message.deleted,
        "disable_notification": message.disable_notification,
    }


class _Control:
    """Each public method is one endpoint: it takes the request's arguments as a dict."""

    def __init__(self, server: BotApiServer) -> None:
        self.server = server
        self.world = server.world

    def user(self, user_id: object) -> User:
        user = self.world.users.get(int(str(user_id)))
        if user is None:
            raise ControlError(f"no user {user_id}; create it with POST /control/users")
        return user

    def chat(self, chat_id: object) -> Chat:
        chat = self.world.chats.get(int(str(chat_id)))
        if chat is None:
            user = self.user(chat_id)
            chat = self.world.private_chat(user)
        return chat

    def message(self, args: JSON) -> ChatMessage:
        chat = self.chat(args["chat_id"])
        message = chat.messages.get(int(args["message_id"]))
        if message is None:
            raise ControlError(f"no message {args['message_id']} in chat {chat.id}")
        return message

    def post_users(self, args: JSON) -> JSON:
        user = self.world.add_user(
            args["first_name"],
            id=args.get("id"),
            username=args.get("username"),
            last_name=args.get("last_name"),
            language_code=args.get("language_code", "zh-hans"),
            is_bot=bool(args.get("is_bot", False)),
            started=bool(args.get("started", False)),
        )
        return user.to_api() | {"started": user.started}

    def post_groups(self, args: JSON) -> JSON:
        creator = args.get("creator_id")
        chat = self.world.add_group(
            args["title"],
            id=args.get("id"),
            supergroup=bool(args.get("supergroup", True)),
            username=args.get("username"),
            creator=self.user(creator) if creator is not None else None,
            admins=[self.user(i) for i in args.get("admin_ids", ())],
            members=[self.user(i) for i in args.get("member_ids", ())],
            bot_status=args.get("bot_status", "administrator"),
            bot_rights=args.get("bot_rights", ("can_manage_chat", "can_delete_messages")),
        )
        return chat.to_api()

    def post_send(self, args: JSON) -> JSON:
        user = self.user(args["user_id"])
        chat = self.chat(args.get("chat_id", user.id))
        reply_to = None
        if "reply_to" in args:
            reply_to = self.message({"chat_id": chat.id, "message_id": args["reply_to"]})
        message = self.world.send(
            user,
            chat,
            args.get("text"),
            entities=args.get("entities"),
            reply_to=reply_to,
            media=args.get("media"),
            caption=args.get("caption"),
            anonymous=bool(args.get("anonymous", False)),
        )
        return message.to_api()

    async def post_send_many(self, args: JSON) -> list[JSON]:
        """One text message per entry of `texts` into a chat, senders taken in turn from
        `user_ids`, `rate` per second if given (else all at once): paced here, so a driver in
        another process makes one request, not one each. For each: its message_id, and `at`,
        the time.monotonic() its update was made available."""
        chat = self.chat(args["chat_id"])
        senders = [self.user(user_id) for user_id in args["user_ids"]]
        if not senders:
            raise ControlError("user_ids is empty; name at least one sender")
        rate = float(args.get("rate", 0))
        start = time.monotonic()
        sent: list[JSON] = []
        for n, text in enumerate(args["texts"]):
            if rate > 0:
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
            message = self.world.send(senders[n % len(senders)], chat, str(text))
            sent.append({"message_id": message.message_id, "at": time.monotonic()})
        return sent

    def post_raw_update(self, args: JSON) -> JSON:
        """An update of `kind` with `data` exactly as given (e.g. malformed, to test a bot)."""
        update = self.world.add_raw_update(str(args["kind"]), dict(args["data"]))
        return update.to_api()

    def post_edit(self, args: JSON) -> JSON:
        return self.world.edit(self.message(args), args["text"]).to_api()

    def post_press(self, args: JSON) -> JSON:
        press = self.world.press(self.user(args["user_id"]), self.message(args), args.get("data"))
        return {"callback_query_id": press.id, "data": press.data}

    def post_bot_status(self, args: JSON) -> JSON:
        chat = self.chat(args["chat_id"])
        self.world.set_bot_status(
            chat,
            args["status"],
            by=self.user(args["by_user_id"]),
            rights=args.get("rights", ("can_manage_chat", "can_delete_messages")),
        )
        return chat.member(self.world.bot).to_api()

    def post_member_status(self, args: JSON) -> JSON:
        chat = self.chat(args["chat_id"])
        user = self.user(args["user_id"])
        by = args.get("by_user_id")
        self.world.set_member_status(
            chat, user, args["status"], by=self.user(by) if by is not None else None
        )
        return chat.member(user).to_api()

    def post_fault(self, args: JSON) -> JSON:
        fault = self.server.inject_fault(
            args["method"],
            args["kind"],
            int(args.get("count", 1)),
            retry_after=int(args.get("retry_after", 5)),
            hold=float(args.get("hold", 60.0)),
            with_param=args.get("with_param"),
        )
        return {"method": fault.method, "kind": fault.kind, "remaining": fault.remaining}

    def post_clear_faults(self, args: JSON) -> JSON:
        """Forget every fault still waiting, injected or drawn at random."""
        self.server.faults.clear()
        return {}

    def get_clock(self, args: JSON) -> JSON:
        return {"now": self.world.clock().astimezone(UTC).isoformat()}

    def post_clock(self, args: JSON) -> JSON:
        """Move the clock to `now` (ISO 8601 with its UTC offset)."""
        if self.server.set_clock is None:
            raise ControlError(
                "this server's clock cannot be set: it runs on the clock it was given"
            )
        instant = datetime.fromisoformat(str(args["now"]))
        if instant.tzinfo is None:
            raise ControlError(f"now {args['now']} has no UTC offset; add one, e.g. +08:00")
        self.server.set_clock(instant)
        return self.get_clock(args)

    def get_sent(self, args: JSON) -> list[JSON]:
        chat = self.chat(args["chat_id"]) if "chat_id" in args else None
        return [_message_view(m) for m in self.world.sent_by_bot(chat)]

    def get_messages(self, args: JSON) -> list[JSON]:
        return [_message_view(m) for m in self.world.visible_messages(self.chat(args["chat_id"]))]

    def get_requests(self, args: JSON) -> list[JSON]:
        """Every request (or those to `method`), `at` being time.monotonic() on arrival."""
        method = args.get("method")
        return [
            {
                "method": r.method,
                "status": r.status,
                "at": r.at,
                "description": r.description,
                "params": r.params,
            }
            for r in self.server.requests
            if method is None or r.method == method
        ]

    def get_updates(self, args: JSON) -> JSON:
        """Updates produced, still unconfirmed, handed out, and handed out again."""
        world = self.server.world
        deliveries = world.deliveries
        return {
            "produced": world.produced,
            "unconfirmed": len(world.queued_updates),
            "delivered": len(deliveries),
            "redelivered": sum(count - 1 for count in deliveries.values()),
        }

    def get_webhook(self, args: JSON) -> JSON | None:
        """The webhook the bot set (url, secret token …), or null while it polls."""
        webhook: JSON | None = self.server.methods.webhook
        return webhook

    def get_violations(self, args: JSON) -> list[JSON]:
        return [
            {"method": v.method, "description": v.description, "params": v.params}
            for v in self.server.violations
        ]

    def endpoint(self, verb: str, name: str) -> Callable[[JSON], Any] | None:
        found = getattr(self, f"{verb}_{name}", None)
        return found if callable(found) else None


class _ControlHandler(RequestHandler):
    def initialize(self, server: BotApiServer) -> None:
        self.control = _Control(server)

    async def get(self, name: str) -> None:
        args = {k: v[-1].decode() for k, v in self.request.query_arguments.items()}
        await self._run("get", name, args)

    async def post(self, name: str) -> None:
        try:
            args = json.loads(self.request.body or b"{}")
        except ValueError:
            self._fail(400, "the body must be a JSON object")
            return
        await self._run("post", name, args)

    async def _run(self, verb: str, name: str, args: JSON) -> None:
        endpoint = self.control.endpoint(verb, name)
        if endpoint is None:
            self._fail(404, f"no control endpoint {verb.upper()} /control/{name}")
            return
        try:
            result = endpoint(args)
            if inspect.isawaitable(result):
                result = await result
        except (ControlError, KeyError, ValueError, TypeError) as exc:
            self._fail(400, f"{type(exc).__name__}: {exc}")
            return
        self.set_header("Content-Type", "application/json")
        # Request parameters may hold uploads; their text form is enough for a driver.
        self.finish(json.dumps(result, ensure_ascii=False, default=str))

    def _fail(self, status: int, error: str) -> None:
        self.set_status(status)
        self.finish({"error": error})
