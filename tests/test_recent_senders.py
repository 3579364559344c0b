"""A sender recorded lately is not recorded again until something about them changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.platform.roster import RecentSenders
from policies.message import ChatKind, ChatRef, Person

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
GROUP = ChatRef(-100123, ChatKind.SUPERGROUP, "街道工作群")
ALICE = Person(7, "网格员", language_code="zh-hans")


def test_a_sender_remembered_just_now_is_fresh() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1))
    senders.remember(GROUP, ALICE, NOW)
    assert senders.is_fresh(GROUP, ALICE, NOW + timedelta(seconds=59))


def test_an_unknown_sender_or_another_group_is_not_fresh() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1))
    senders.remember(GROUP, ALICE, NOW)
    assert not senders.is_fresh(GROUP, Person(8, "另一位"), NOW)
    assert not senders.is_fresh(ChatRef(-100999, ChatKind.SUPERGROUP, "别的群"), ALICE, NOW)


def test_a_changed_name_or_title_is_recorded_again() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1))
    senders.remember(GROUP, ALICE, NOW)
    renamed = Person(7, "网格员", language_code="zh-hans", username="alice")
    assert not senders.is_fresh(GROUP, renamed, NOW)
    retitled = ChatRef(-100123, ChatKind.SUPERGROUP, "街道工作群(新)")
    assert not senders.is_fresh(retitled, ALICE, NOW)


def test_freshness_ends_after_the_window_and_when_the_clock_goes_back() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1))
    senders.remember(GROUP, ALICE, NOW)
    assert not senders.is_fresh(GROUP, ALICE, NOW + timedelta(minutes=1))
    assert not senders.is_fresh(GROUP, ALICE, NOW - timedelta(seconds=1))


def test_the_memory_is_bounded() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1), limit=2)
    senders.remember(GROUP, ALICE, NOW)
    senders.remember(GROUP, Person(8, "乙"), NOW)
    senders.remember(GROUP, Person(9, "丙"), NOW)
    assert not senders.is_fresh(GROUP, ALICE, NOW)
