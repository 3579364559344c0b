"""Updates pushed to a webhook set by the bot, with its secret token."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from telegram import Bot
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from testserver import BotApiServer


class _Receiver(RequestHandler):
    def initialize(self, inbox: asyncio.Queue[tuple[str | None, Any]], answers: list[int]) -> None:
        self.inbox = inbox
        self.answers = answers

    def post(self) -> None:
        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            secret = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token")
            self.inbox.put_nowait((secret, json.loads(self.request.body)))
        self.set_status(status)


async def test_updates_are_pushed_and_retried_until_accepted(
    server: BotApiServer, bot: Bot
) -> None:
    inbox: asyncio.Queue[tuple[str | None, Any]] = asyncio.Queue()
    sockets = bind_sockets(0, "127.0.0.1")
    receiver = HTTPServer(Application([("/hook", _Receiver, {"inbox": inbox, "answers": [500]})]))
    receiver.add_sockets(sockets)
    try:
        url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/hook"
        await bot.set_webhook(url, secret_token="s3cret")
        alice = server.world.add_user("Alice")
        server.world.send(alice, server.world.private_chat(alice), "/start")
        secret, update = await asyncio.wait_for(inbox.get(), 10)
        assert secret == "s3cret"
        assert update["message"]["text"] == "/start"
        info = await bot.get_webhook_info()
        assert info.url == url and info.last_error_message == "Wrong response: 500"
        await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
    finally:
        receiver.stop()
