"""`python -m testserver` in its own process, driven through the control API."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from testserver.process import launched

REPO = Path(__file__).resolve().parents[2]
TOKEN = "123456:standalone"
NOW = datetime.fromisoformat("2026-11-18T23:00:00+08:00")


async def test_a_bot_in_another_process_can_be_driven() -> None:
    with launched("--token", TOKEN, "--now", NOW.isoformat()) as server:
        async with (
            httpx.AsyncClient(base_url=server.control_url + "/") as http,
            Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as bot,
        ):
            alice = (await http.post("users", json={"first_name": "Alice"})).json()
            group = (
                await http.post("groups", json={"title": "工作群", "member_ids": [alice["id"]]})
            ).json()
            await http.post(
                "send", json={"chat_id": group["id"], "user_id": alice["id"], "text": "看到回1"}
            )
            [update] = await bot.get_updates()
            assert update.message is not None and update.message.text == "看到回1"
            assert update.message.date == NOW
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("收到", callback_data="ack")]])
            sent = await bot.send_message(group["id"], "请按按钮", reply_markup=keyboard)
            pressed = await http.post(
                "press",
                json={
                    "chat_id": group["id"],
                    "message_id": sent.message_id,
                    "user_id": alice["id"],
                },
            )
            assert pressed.json()["data"] == "ack"
            listed = (await http.get("sent", params={"chat_id": group["id"]})).json()
            assert [m["text"] for m in listed] == ["请按按钮"]
            assert (await http.get("violations")).json() == []
            missing = await http.post("send", json={"user_id": 1, "text": "x"})
            assert missing.status_code == 400 and "no user 1" in missing.json()["error"]
    assert server.exit_code == 0


async def test_a_stopped_clock_needs_its_offset() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "testserver",
        "--now",
        "2026-11-18T23:00:00",
        cwd=REPO,
        stderr=asyncio.subprocess.PIPE,
    )
    _, error = await process.communicate()
    assert process.returncode != 0 and b"has no UTC offset" in error
