"""Failures injected on demand reach the bot as Telegram's would."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from testserver import BotApiServer


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_an_injected_429_carries_retry_after(server: BotApiServer, bot: Bot) -> None:
    alice = server.world.add_user("Alice", started=True)
    server.inject_fault("sendMessage", "429", retry_after=7)
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(alice.id, "hi")
    assert refused.value.retry_after == 7
    await bot.send_message(alice.id, "hi")
    assert [m.text for m in server.world.sent_by_bot()] == ["hi"]
    assert server.count_429 == 1


@pytest.mark.parametrize(
    ("kind", "error", "words"),
    [
        ("500", NetworkError, "Internal Server Error"),
        ("502", NetworkError, "Bad Gateway"),
        ("403", Forbidden, "blocked by the user"),
        ("400", BadRequest, "chat not found"),
        ("401", InvalidToken, "Unauthorized"),
    ],
)
async def test_answering_faults(
    server: BotApiServer, bot: Bot, kind: str, error: type[Exception], words: str
) -> None:
    alice = server.world.add_user("Alice", started=True)
    server.inject_fault("*", kind)  # type: ignore[arg-type]
    with pytest.raises(error, match=f"(?i){words}"):
        await bot.send_message(alice.id, "hi")
    assert server.world.sent_by_bot() == []


async def test_a_fault_lasts_count_requests_of_its_method(server: BotApiServer, bot: Bot) -> None:
    alice = server.world.add_user("Alice", started=True)
    server.inject_fault("sendMessage", "500", count=2)
    await bot.get_chat(alice.id)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.send_message(alice.id, "hi")
    await bot.send_message(alice.id, "hi")
    assert [r.status for r in server.requests_for("sendMessage")] == [500, 500, 200]


async def test_a_held_request_times_out_without_being_performed(server: BotApiServer) -> None:
    alice = server.world.add_user("Alice", started=True)
    server.inject_fault("sendMessage", "timeout", hold=30)
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(server.token, base_url=server.base_url, request=request) as impatient:
        with pytest.raises(TimedOut):
            await impatient.send_message(alice.id, "hi")
    assert server.world.sent_by_bot() == []


async def test_a_dropped_connection_is_a_network_error(server: BotApiServer, bot: Bot) -> None:
    alice = server.world.add_user("Alice", started=True)
    server.inject_fault("sendMessage", "drop")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "hi")
    await bot.send_message(alice.id, "after")
    assert [m.text for m in server.world.sent_by_bot()] == ["after"]


async def test_a_lost_answer_is_a_network_error_after_the_method_was_performed(
    server: BotApiServer, bot: Bot
) -> None:
    alice = server.world.add_user("Alice", started=True)
    server.inject_fault("sendMessage", "lost")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "hi")
    assert [m.text for m in server.world.sent_by_bot()] == ["hi"]


async def test_a_fault_with_a_parameter_fails_only_requests_carrying_it(
    server: BotApiServer, bot: Bot
) -> None:
    alice = server.world.add_user("Alice", started=True)
    first = await bot.send_message(alice.id, "first")
    server.inject_fault("sendMessage", "500", with_param="reply_parameters")
    await bot.send_message(alice.id, "not a reply")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "a reply", reply_to_message_id=first.message_id)
    await bot.send_message(alice.id, "a reply again", reply_to_message_id=first.message_id)
    assert [m.text for m in server.world.sent_by_bot()] == ["first", "not a reply", "a reply again"]
