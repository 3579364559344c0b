"""The JSON control API, in process: the same world the Python API drives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.platform.clock import ManualClock
from testserver import BotApiServer


@pytest.fixture
async def control(server: BotApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.control_url + "/") as http:
        yield http


async def test_membership_changes_and_faults(
    server: BotApiServer, bot: Bot, control: httpx.AsyncClient
) -> None:
    owner = (await control.post("users", json={"first_name": "Owner", "started": True})).json()
    group = (
        await control.post(
            "groups", json={"title": "群", "creator_id": owner["id"], "bot_status": "left"}
        )
    ).json()
    added = await control.post(
        "bot_status", json={"chat_id": group["id"], "status": "member", "by_user_id": owner["id"]}
    )
    assert added.json()["status"] == "member"
    updates = await bot.get_updates()
    assert updates[0].my_chat_member is not None
    await control.post("fault", json={"method": "sendMessage", "kind": "502"})
    with pytest.raises(NetworkError):
        await bot.send_message(group["id"], "hi")
    await bot.send_message(group["id"], "hi")
    messages = (await control.get("messages", params={"chat_id": group["id"]})).json()
    assert [m.get("text") for m in messages] == [None, "hi"]  # the join notice, then ours
    statuses = [r["status"] for r in (await control.get("requests")).json()]
    assert statuses[-2:] == [502, 200]


async def test_unknown_endpoints_and_bad_bodies(control: httpx.AsyncClient) -> None:
    assert (await control.get("nothing")).status_code == 404
    bad = await control.post("users", content=b"not json")
    assert bad.status_code == 400
    incomplete = await control.post("users", json={})
    assert incomplete.status_code == 400 and "first_name" in incomplete.json()["error"]


async def test_many_messages_in_one_request_and_the_deletes_naming_them(
    server: BotApiServer, bot: Bot, control: httpx.AsyncClient
) -> None:
    people = [
        (await control.post("users", json={"first_name": name})).json() for name in ("A", "B")
    ]
    group = (
        await control.post("groups", json={"title": "群", "member_ids": [p["id"] for p in people]})
    ).json()
    sent = (
        await control.post(
            "send_many",
            json={
                "chat_id": group["id"],
                "user_ids": [p["id"] for p in people],
                "texts": ["一", "二", "三"],
                "rate": 1000,
            },
        )
    ).json()
    messages = [u.message for u in await bot.get_updates() if u.message and u.message.from_user]
    assert [(m.text, m.from_user.first_name) for m in messages if m.from_user] == [
        ("一", "A"),
        ("二", "B"),
        ("三", "A"),
    ]
    assert [m["message_id"] for m in sent] == [m.message_id for m in messages]
    assert sorted(m["at"] for m in sent) == [m["at"] for m in sent]
    await bot.delete_messages(group["id"], [sent[0]["message_id"], sent[2]["message_id"]])
    [deletes] = (await control.get("requests", params={"method": "deleteMessages"})).json()
    assert deletes["params"]["message_ids"] == [sent[0]["message_id"], sent[2]["message_id"]]
    assert deletes["at"] >= sent[-1]["at"]
    nobody = await control.post(
        "send_many", json={"chat_id": group["id"], "user_ids": [], "texts": ["x"]}
    )
    assert nobody.status_code == 400 and "user_ids is empty" in nobody.json()["error"]


async def test_the_clock_is_read_and_set_only_when_the_server_was_given_a_setter(
    server: BotApiServer, control: httpx.AsyncClient
) -> None:
    now = (await control.get("clock")).json()
    assert now == {"now": "2026-03-02T09:00:00+00:00"}
    refused = await control.post("clock", json={"now": "2026-03-02T22:30:00+08:00"})
    assert refused.status_code == 400
    assert "cannot be set" in refused.json()["error"]

    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    async with (
        BotApiServer(clock=clock.now, set_clock=clock.set) as settable,
        httpx.AsyncClient(base_url=settable.control_url + "/") as http,
    ):
        moved = await http.post("clock", json={"now": "2026-03-02T22:30:00+08:00"})
        assert moved.json() == {"now": "2026-03-02T14:30:00+00:00"}
        assert clock.now() == datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
        naive = await http.post("clock", json={"now": "2026-03-02T22:30:00"})
        assert naive.status_code == 400
        assert "UTC offset" in naive.json()["error"]
