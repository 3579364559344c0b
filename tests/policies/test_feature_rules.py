"""The rules that used to live in the bot: whose line is whose, who may close, told once."""

from __future__ import annotations

from datetime import datetime, time

import pytz

from policies.classification import RollCallEntry
from policies.features.holding import replanned_release
from policies.features.notices import Audience, Tell, tell_once
from policies.features.rollcalls import (
    ListedLine,
    is_person,
    line_to_claim,
    may_close,
    may_withdraw,
    owned_line,
)
from policies.group_policy import GroupPolicy, QuietWindow
from policies.message import Person

WANG = Person(7, "强", last_name="王", username="wangqiang")
CHAT = -100123


def test_a_line_names_a_person_by_given_name_full_name_either_way_or_username() -> None:
    for written in ("强", "强 王", "王强", "wangqiang", "王 强 🙋"):
        assert is_person(written, WANG), written
    assert not is_person("王刚", WANG)


def test_the_first_line_naming_the_poster_is_theirs_unless_they_have_one() -> None:
    lines = [RollCallEntry(1, "张伟"), RollCallEntry(2, "王强"), RollCallEntry(3, "王强")]
    assert owned_line(lines, WANG, has_own=False) == 1
    assert owned_line(lines, WANG, has_own=True) is None
    assert owned_line(lines, None, has_own=False) is None


def test_only_a_lines_own_person_withdraws_it() -> None:
    by_id = ListedLine(1, "张伟", user_id=7)
    by_name = ListedLine(2, "王强")
    someone_elses = ListedLine(3, "王强", user_id=8)
    assert may_withdraw(by_id, 7, None)
    assert not may_withdraw(by_id, 9, WANG)
    assert may_withdraw(by_name, 7, WANG)
    assert not may_withdraw(someone_elses, 7, WANG)


def test_joining_claims_a_line_written_for_the_joiner_but_never_someone_elses() -> None:
    written = ListedLine(2, "王强")
    taken = ListedLine(3, "王强", user_id=8)
    assert line_to_claim([taken, written], WANG) == written
    assert line_to_claim([taken], WANG) is None


def test_the_initiator_closes_and_any_admin_closes_what_the_group_itself_started() -> None:
    assert may_close(7, CHAT, 7, presser_is_admin=False)
    assert not may_close(7, CHAT, 8, presser_is_admin=True)
    assert may_close(CHAT, CHAT, 8, presser_is_admin=True)
    assert not may_close(CHAT, CHAT, 8, presser_is_admin=False)


def test_a_once_per_period_notice_is_told_unless_told_already_in_that_period() -> None:
    params = {"release_at": "2026-11-19T00:00:00+00:00"}
    first = tell_once(Audience.SENDER, "hold.notice", params, "p1", frozenset())
    assert first == (Tell(Audience.SENDER, "hold.notice", params, once_per="p1"),)
    assert tell_once(Audience.SENDER, "hold.notice", params, "p1", frozenset({"hold.notice"})) == ()


def test_held_messages_are_re_planned_to_the_next_work_start_and_never_before_now() -> None:
    zone = pytz.timezone("Asia/Shanghai")

    def at(day: int, hour: int) -> datetime:
        return zone.localize(datetime(2026, 11, day, hour)).astimezone(pytz.utc)

    shorter = GroupPolicy(quiet_windows=(QuietWindow(time(21), time(7)),))
    assert replanned_release(shorter, at(18, 23)) == at(19, 7)  # Wednesday night
    no_saturday = GroupPolicy(rest_days=frozenset({6}))  # Sunday only
    assert replanned_release(no_saturday, at(21, 10)) == at(21, 10)  # Saturday, now work time
    assert replanned_release(no_saturday, at(21, 22)) == at(23, 8)  # Saturday night: Monday
