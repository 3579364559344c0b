"""A sender recorded lately is not recorded again until something about them changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telegram import Chat, User

from bot.platform.roster import RecentSenders

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
GROUP = Chat(-100123, "supergroup", title="街道工作群")
ALICE = User(7, "网格员", is_bot=False, language_code="zh-hans")


def test_a_sender_remembered_just_now_is_fresh() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1))
    senders.remember(GROUP, ALICE, NOW)
    assert senders.is_fresh(GROUP, ALICE, NOW + timedelta(seconds=59))


def test_an_unknown_sender_or_another_group_is_not_fresh() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1))
    senders.remember(GROUP, ALICE, NOW)
    assert not senders.is_fresh(GROUP, User(8, "另一位", is_bot=False), NOW)
    assert not senders.is_fresh(Chat(-100999, "supergroup", title="别的群"), ALICE, NOW)


def test_a_changed_name_or_title_is_recorded_again() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1))
    senders.remember(GROUP, ALICE, NOW)
    renamed = User(7, "网格员", is_bot=False, language_code="zh-hans", username="alice")
    assert not senders.is_fresh(GROUP, renamed, NOW)
    retitled = Chat(-100123, "supergroup", title="街道工作群(新)")
    assert not senders.is_fresh(retitled, ALICE, NOW)


def test_freshness_ends_after_the_window_and_when_the_clock_goes_back() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1))
    senders.remember(GROUP, ALICE, NOW)
    assert not senders.is_fresh(GROUP, ALICE, NOW + timedelta(minutes=1))
    assert not senders.is_fresh(GROUP, ALICE, NOW - timedelta(seconds=1))


def test_the_memory_is_bounded() -> None:
    senders = RecentSenders(fresh_for=timedelta(minutes=1), limit=2)
    senders.remember(GROUP, ALICE, NOW)
    senders.remember(GROUP, User(8, "乙", is_bot=False), NOW)
    senders.remember(GROUP, User(9, "丙", is_bot=False), NOW)
    assert not senders.is_fresh(GROUP, ALICE, NOW)
