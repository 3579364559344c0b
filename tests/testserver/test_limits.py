"""Flood limits: the arithmetic on a fake monotonic clock, and the 429 the bot receives."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from testserver import BotApiServer, LimitSettings, RateLimiter


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_chat_allows_a_short_burst_then_one_a_second() -> None:
    time = FakeMonotonic()
    limiter = RateLimiter(LimitSettings(), time)
    assert [limiter.acquire("sendMessage", 5, False) for _ in range(3)] == [None] * 3
    assert limiter.acquire("sendMessage", 5, False) == 1
    assert limiter.acquire("sendMessage", 6, False) is None
    time.now += 1.0
    assert limiter.acquire("sendMessage", 5, False) is None


def test_a_group_takes_at_most_twenty_in_any_minute() -> None:
    time = FakeMonotonic()
    limiter = RateLimiter(LimitSettings(), time)
    for _ in range(20):
        assert limiter.acquire("editMessageText", -100, True) is None
        time.now += 1.0
    assert limiter.acquire("sendMessage", -100, True) == 40
    time.now += 40.0
    assert limiter.acquire("sendMessage", -100, True) is None


def test_overall_thirty_a_second() -> None:
    time = FakeMonotonic()
    limiter = RateLimiter(LimitSettings(), time)
    assert all(limiter.acquire("sendMessage", chat, False) is None for chat in range(30))
    assert limiter.acquire("sendMessage", 99, False) == 1
    time.now += 0.1
    assert sum(limiter.acquire("sendMessage", 100 + c, False) is None for c in range(5)) == 3


def test_which_methods_count() -> None:
    limiter = RateLimiter(LimitSettings())
    assert limiter.counts("sendMessage") and limiter.counts("copyMessage")
    assert limiter.counts("editMessageReplyMarkup")
    assert not limiter.counts("deleteMessages") and not limiter.counts("sendChatAction")
    assert not limiter.counts("answerCallbackQuery") and not limiter.counts("getUpdates")
    assert RateLimiter(LimitSettings(count_deletes=True)).counts("deleteMessage")
    assert not RateLimiter(LimitSettings(count_edits=False)).counts("editMessageText")


def test_switched_off_nothing_is_refused() -> None:
    limiter = RateLimiter(LimitSettings(enabled=False), FakeMonotonic())
    assert all(limiter.acquire("sendMessage", 1, True) is None for _ in range(100))


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_the_bot_gets_429_with_retry_after(server: BotApiServer, bot: Bot) -> None:
    group = server.world.add_group("工作群")
    for n in range(3):
        await bot.send_message(group.id, f"第{n}条")
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(group.id, "太快了")
    assert refused.value.retry_after == 1
    assert server.count_429 == 1
    assert len(server.world.sent_by_bot(group)) == 3
    last = server.requests[-1]
    assert (last.method, last.status) == ("sendMessage", 429)
