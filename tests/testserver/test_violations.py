"""Requests that break the spec get Telegram's 400 and are recorded for the test to fail on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from testserver import BotApiServer


@pytest.fixture
async def client(server: BotApiServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{server.base_url}{server.token}/") as http:
        yield http


@pytest.mark.parametrize(
    ("method", "form", "complaint"),
    [
        ("sendMesage", {"chat_id": "1", "text": "hi"}, "unknown method 'sendMesage'"),
        ("sendMessage", {"text": "hi"}, "required parameter 'chat_id' is missing"),
        ("sendMessage", {"chat_id": "1", "text": "hi", "silent": "true"}, "unknown parameter"),
        ("sendMessage", {"chat_id": "1", "text": "hi", "disable_notification": "1"}, "Boolean"),
        ("deleteMessage", {"chat_id": "1", "message_id": "abc"}, "message_id"),
        (
            "sendMessage",
            {
                "chat_id": "1",
                "text": "hi",
                "reply_markup": json.dumps({"inline_keyboard": [["x"]]}),
            },
            "inline_keyboard[0][0]",
        ),
    ],
)
async def test_a_violation_is_refused_and_recorded(
    server: BotApiServer,
    client: httpx.AsyncClient,
    method: str,
    form: dict[str, str],
    complaint: str,
) -> None:
    response = await client.post(method, data=form)
    assert response.status_code == 400
    answer = response.json()
    assert answer["ok"] is False and answer["error_code"] == 400
    assert answer["description"].startswith("Bad Request: ")
    assert complaint in answer["description"]
    [violation] = server.violations
    assert violation.method == method and complaint in violation.description
    assert server.requests[-1].status == 400
    with pytest.raises(AssertionError, match="violating the Bot API spec"):
        server.assert_no_violations()
    server.violations.clear()


async def test_json_bodies_are_accepted_and_checked(
    server: BotApiServer, client: httpx.AsyncClient
) -> None:
    alice = server.world.add_user("Alice", started=True)
    good = await client.post("sendMessage", json={"chat_id": alice.id, "text": "hi"})
    assert good.json()["result"]["text"] == "hi"
    bad = await client.post("sendMessage", json={"chat_id": alice.id, "text": 5})
    assert bad.status_code == 400 and "text: expected String" in bad.json()["description"]
    assert len(server.violations) == 1
    server.violations.clear()


async def test_a_wrong_token_is_unauthorized(server: BotApiServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{server.base_url}123:wrong/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert server.violations == []
