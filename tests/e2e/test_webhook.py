"""Webhook mode: the test server posts updates to PTB's webhook server; the secret is checked."""

from __future__ import annotations

import asyncio
import dataclasses
import socket

import httpx

from bot.edge.runner import WEBHOOK_PATH, serve
from bot.platform.clock import ManualClock
from bot.platform.settings import Secret, TelegramMode
from bot.platform.storage.migrate import upgrade_to_head
from tests.e2e.harness import SETTLE_TIMEOUT, BotHarness
from testserver.server import BotApiServer

SECRET = "s3cret-token_for-tests"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_webhook_mode_answers_start_and_refuses_a_wrong_secret(
    server: BotApiServer, sqlite_url: str, clock: ManualClock
) -> None:
    await upgrade_to_head(sqlite_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}/{WEBHOOK_PATH}"
    bot = BotHarness(server, sqlite_url, clock)
    telegram = dataclasses.replace(
        bot.settings.telegram,
        mode=TelegramMode.WEBHOOK,
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_url=url,
        webhook_secret_token=Secret(SECRET),
    )
    stop = asyncio.Event()
    settings = dataclasses.replace(bot.settings, telegram=telegram)
    running = asyncio.create_task(serve(bot.application, settings, stop))
    try:
        user = server.world.add_user("陈静")
        chat = server.world.private_chat(user)
        await bot.until(lambda: server.methods.webhook is not None)
        server.world.send(user, chat, "/start")
        await bot.until(lambda: bool(server.world.sent_by_bot(chat)))
        assert server.methods.webhook is not None
        assert server.methods.webhook["secret_token"] == SECRET
        forged = {
            "update_id": 1,
            "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}},
        }
        async with httpx.AsyncClient(timeout=SETTLE_TIMEOUT) as client:
            refused = await client.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
        assert refused.status_code == 403
        assert len(server.world.sent_by_bot(chat)) == 1
    finally:
        stop.set()
        await running
