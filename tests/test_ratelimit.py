"""The limiter's budgets and pauses, on a fake monotonic clock: nothing here sleeps."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.edge.ratelimit import (
    SINGLE_ATTEMPT,
    ChatRateLimiter,
    Kind,
    Limits,
    Rate,
    RateBudget,
    Window,
    kind_of,
)

# PTB itself reads RetryAfter.retry_after when building one, which warns until PTB_TIMEDELTA=1.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

PRIVATE = 1001
OTHER_PRIVATE = 1002
GROUP = -1001234


class FakeTime:
    """A monotonic clock whose sleep moves it forward at once: for one caller at a time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class VirtualTime:
    """Time for concurrent callers: it jumps to the next wake-up once every task is waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + seconds, next(self._order), wake))
        await wake

    async def run(self, *coroutines: Coroutine[Any, Any, None]) -> None:
        tasks = [asyncio.create_task(c) for c in coroutines]
        while not all(task.done() for task in tasks):
            for _ in range(20):
                await asyncio.sleep(0)
            if self._timers:
                when, _, wake = heapq.heappop(self._timers)
                self.now = max(self.now, when)
                wake.set_result(None)
        for task in tasks:
            task.result()


def try_take(budget: RateBudget, kind: Kind, chat: int | str, now: float) -> float:
    """Take from every budget of the request and return 0, or return the wait (nothing taken)."""
    wait = budget.wait(kind, chat, now)
    if wait == 0:
        budget.take(kind, chat, now)
    return wait


def taken_until(budget: RateBudget, kind: Kind, chat: int, start: float, end: float) -> list[float]:
    """The instants at which a greedy caller gets tokens between start and end."""
    now, times = start, []
    while now < end:
        wait = try_take(budget, kind, chat, now)
        if wait == 0:
            times.append(now)
        else:
            now += wait
    return times


@pytest.mark.parametrize(
    ("endpoint", "kind"),
    [
        ("sendMessage", Kind.SEND),
        ("sendDocument", Kind.SEND),
        ("copyMessage", Kind.SEND),
        ("sendChatAction", Kind.UNPACED),
        ("editMessageText", Kind.EDIT),
        ("editMessageReplyMarkup", Kind.EDIT),
        ("deleteMessage", Kind.DELETE),
        ("deleteMessages", Kind.DELETE),
        ("answerCallbackQuery", Kind.UNPACED),
        ("getChatMember", Kind.UNPACED),
    ],
)
def test_kind_of_method(endpoint: str, kind: Kind) -> None:
    assert kind_of(endpoint) is kind


def test_private_chat_gets_its_burst_then_one_per_period() -> None:
    budget = RateBudget(Limits(overall=None, per_chat=Rate(1, 1.0, burst=3)), now=0.0)
    times = taken_until(budget, Kind.SEND, PRIVATE, 0.0, 10.0)
    assert times[:3] == [0.0, 0.0, 0.0]
    assert times[3:5] == pytest.approx([1.0, 2.0])
    assert len(times) == 3 + 9


def test_overall_budget_caps_all_chats_together() -> None:
    budget = RateBudget(Limits(overall=Rate(30, 1.0), per_chat=None), now=0.0)
    granted: list[float] = []
    now = 0.0
    while now < 10.0:
        wait = try_take(budget, Kind.SEND, len(granted), now)
        if wait == 0:
            granted.append(now)
        else:
            now += wait
    assert len(granted) in (300, 301)
    assert granted[30] == pytest.approx(1.0)


def test_group_window_counts_sends_and_edits_but_not_deletes_by_default() -> None:
    limits = Limits(overall=None, per_chat=None, per_group=Window(20, 60.0))
    budget = RateBudget(limits, now=0.0)
    for second, kind in enumerate([Kind.SEND] * 10 + [Kind.EDIT] * 10):
        assert try_take(budget, kind, GROUP, float(second)) == 0
    assert try_take(budget, Kind.SEND, GROUP, 20.0) == pytest.approx(40.0)
    assert try_take(budget, Kind.DELETE, GROUP, 20.0) == 0
    assert try_take(budget, Kind.UNPACED, GROUP, 20.0) == 0
    assert try_take(budget, Kind.EDIT, GROUP, 60.0) == 0
    assert try_take(budget, Kind.EDIT, GROUP, 60.0) == pytest.approx(1.0)


def test_deletes_count_when_configured() -> None:
    limits = Limits(
        overall=None,
        per_chat=None,
        per_group=Window(2, 60.0),
        counted=frozenset({Kind.SEND, Kind.EDIT, Kind.DELETE}),
    )
    budget = RateBudget(limits, now=0.0)
    assert try_take(budget, Kind.DELETE, GROUP, 0.0) == 0
    assert try_take(budget, Kind.SEND, GROUP, 0.0) == 0
    assert try_take(budget, Kind.DELETE, GROUP, 0.0) == pytest.approx(60.0)


def test_group_budget_does_not_apply_to_private_chats() -> None:
    limits = Limits(overall=None, per_chat=None, per_group=Rate(1, 60.0))
    budget = RateBudget(limits, now=0.0)
    assert try_take(budget, Kind.SEND, PRIVATE, 0.0) == 0
    assert try_take(budget, Kind.SEND, PRIVATE, 0.0) == 0
    assert try_take(budget, Kind.SEND, GROUP, 0.0) == 0
    assert try_take(budget, Kind.SEND, GROUP, 0.0) > 0


def test_channel_username_counts_as_group() -> None:
    limits = Limits(overall=None, per_chat=None, per_group=Rate(1, 60.0))
    budget = RateBudget(limits, now=0.0)
    assert try_take(budget, Kind.SEND, "@channel", 0.0) == 0
    assert try_take(budget, Kind.SEND, "@channel", 0.0) > 0


def test_waiting_for_a_chat_takes_nothing_from_the_overall_budget() -> None:
    limits = Limits(overall=Rate(2, 1.0, burst=2), per_chat=Rate(1, 1.0))
    budget = RateBudget(limits, now=0.0)
    assert try_take(budget, Kind.SEND, PRIVATE, 0.0) == 0
    for _ in range(5):
        assert try_take(budget, Kind.SEND, PRIVATE, 0.0) > 0
    assert try_take(budget, Kind.SEND, OTHER_PRIVATE, 0.0) == 0


def test_pause_holds_only_that_chat() -> None:
    budget = RateBudget(Limits(), now=0.0)
    budget.pause(PRIVATE, 7.0, now=0.0)
    assert try_take(budget, Kind.SEND, PRIVATE, 1.0) == pytest.approx(6.0)
    assert try_take(budget, Kind.SEND, OTHER_PRIVATE, 1.0) == 0
    assert try_take(budget, Kind.SEND, PRIVATE, 7.0) == 0


def test_a_shorter_pause_does_not_cut_a_longer_one() -> None:
    budget = RateBudget(Limits(), now=0.0)
    budget.pause(PRIVATE, 10.0, now=0.0)
    budget.pause(PRIVATE, 2.0, now=1.0)
    assert budget.paused_for(PRIVATE, 5.0) == pytest.approx(5.0)


def test_idle_chat_buckets_are_dropped() -> None:
    budget = RateBudget(Limits(overall=None), now=0.0)
    for chat in range(5000):
        try_take(budget, Kind.SEND, chat, float(chat))
    assert budget.tracked_chats() < 2048


def test_default_limits_stay_under_telegrams_figures() -> None:
    limits = Limits()
    assert limits.overall is not None and limits.overall.per_second < 30
    assert limits.overall.burst + limits.overall.per_second < 31
    assert limits.per_chat is not None and limits.per_chat.per_second <= 1
    assert limits.per_group is not None and limits.per_group.per_second * 60 < 20
    assert Kind.DELETE not in limits.counted


class Recorder:
    """A callback standing in for PTB's request: raises the queued errors, then succeeds."""

    def __init__(self, time: FakeTime, errors: list[Exception] | None = None) -> None:
        self.time = time
        self.errors = errors or []
        self.calls: list[float] = []

    async def __call__(self) -> dict[str, Any]:
        self.calls.append(self.time.now)
        if self.errors:
            raise self.errors.pop(0)
        return {"message_id": len(self.calls)}


def limiter_on(time: FakeTime, limits: Limits | None = None, **kwargs: Any) -> ChatRateLimiter:
    return ChatRateLimiter(limits, monotonic=time.monotonic, sleep=time.sleep, **kwargs)


async def send(
    limiter: ChatRateLimiter, callback: Recorder, chat: int, rate_limit_args: int | None = None
) -> Any:
    return await limiter.process_request(
        callback, (), {}, "sendMessage", {"chat_id": chat, "text": "x"}, rate_limit_args
    )


async def test_retry_after_is_raised_after_a_single_attempt_and_pauses_the_chat() -> None:
    time = FakeTime()
    limiter = limiter_on(time, Limits(overall=Rate(30, 1.0, burst=2)))
    failing = Recorder(time, [RetryAfter(12)])
    with pytest.raises(RetryAfter):
        await send(limiter, failing, PRIVATE, rate_limit_args=SINGLE_ATTEMPT)
    assert limiter.budget.paused_for(PRIVATE, time.now) == pytest.approx(12.0)

    other = Recorder(time)
    await send(limiter, other, OTHER_PRIVATE)
    assert other.calls == [1000.0]
    assert time.sleeps == []


async def test_short_retry_after_is_retried_in_place_once() -> None:
    time = FakeTime()
    limiter = limiter_on(time, attempts=2, max_retry_wait=10.0)
    callback = Recorder(time, [RetryAfter(3)])
    assert await send(limiter, callback, PRIVATE) == {"message_id": 2}
    assert callback.calls == [1000.0, 1003.0]


async def test_long_retry_after_is_raised_even_when_more_attempts_are_allowed() -> None:
    time = FakeTime()
    limiter = limiter_on(time, attempts=4, max_retry_wait=10.0)
    callback = Recorder(time, [RetryAfter(30)])
    with pytest.raises(RetryAfter):
        await send(limiter, callback, PRIVATE)
    assert callback.calls == [1000.0]


async def test_attempts_are_bounded() -> None:
    time = FakeTime()
    limiter = limiter_on(time, attempts=3, max_retry_wait=10.0)
    callback = Recorder(time, [RetryAfter(1), RetryAfter(1), RetryAfter(1), RetryAfter(1)])
    with pytest.raises(RetryAfter):
        await send(limiter, callback, PRIVATE)
    assert len(callback.calls) == 3


async def test_requests_to_many_chats_are_spread_at_the_overall_rate() -> None:
    time = FakeTime()
    limiter = limiter_on(time, Limits(overall=Rate(30, 1.0), per_chat=Rate(1, 1.0, burst=3)))
    callback = Recorder(time)
    for chat in range(61):
        await send(limiter, callback, chat)
    assert callback.calls[-1] - callback.calls[0] == pytest.approx(2.0)


async def test_unpaced_requests_do_not_wait() -> None:
    time = FakeTime()
    limiter = limiter_on(time, Limits(overall=Rate(1, 60.0), per_chat=Rate(1, 60.0)))
    callback = Recorder(time)
    for _ in range(5):
        await limiter.process_request(
            callback, (), {}, "answerCallbackQuery", {"callback_query_id": "1"}, None
        )
        await limiter.process_request(
            callback, (), {}, "getChatMember", {"chat_id": GROUP, "user_id": 1}, None
        )
    assert time.sleeps == []


async def test_chats_take_turns_for_the_overall_budget() -> None:
    time = VirtualTime()
    limiter = ChatRateLimiter(
        Limits(overall=Rate(10, 1.0), per_chat=None), monotonic=time.monotonic, sleep=time.sleep
    )
    order: list[int] = []

    async def chat(chat_id: int) -> None:
        for _ in range(4):
            await limiter.acquire(Kind.SEND, chat_id)
            order.append(chat_id)
            await asyncio.sleep(0)  # the request itself

    await time.run(*(chat(n) for n in range(3)))
    assert order == [0, 1, 2] * 4
    assert time.now == pytest.approx(1001.1)


async def test_a_chat_waiting_for_its_own_budget_does_not_hold_up_others() -> None:
    time = VirtualTime()
    limiter = ChatRateLimiter(
        Limits(overall=Rate(10, 1.0), per_chat=Rate(1, 10.0)),
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    done: list[tuple[int, float]] = []

    async def send(chat_id: int, times: int) -> None:
        for _ in range(times):
            await limiter.acquire(Kind.SEND, chat_id)
            done.append((chat_id, time.now))

    await time.run(send(PRIVATE, 2), send(OTHER_PRIVATE, 1), send(GROUP, 1))
    assert done == [
        (PRIVATE, 1000.0),
        (OTHER_PRIVATE, pytest.approx(1000.1)),
        (GROUP, pytest.approx(1000.2)),
        (PRIVATE, pytest.approx(1010.0)),
    ]
