"""The decision engine: what happens to a message, given policy, state and an explicit `now`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import pytz

from policies.calendar import quiet_status
from policies.classification import Classification, RollCall, RollCallEntry
from policies.decisions import (
    Action,
    Audience,
    Decision,
    GroupState,
    LogAction,
    MessageFacts,
    OpenAckRequest,
    OpenRollCall,
    decide,
    effective_mode,
    urgent_week_start,
)
from policies.group_policy import GroupPolicy, Mode
from policies.labels import Label

SHANGHAI = pytz.timezone("Asia/Shanghai")
POLICY = GroupPolicy()


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as a UTC instant."""
    return SHANGHAI.localize(datetime(year, month, day, hour, minute)).astimezone(UTC)


WORK_TIME = at(2026, 11, 18, 10)  # a Wednesday morning
NIGHT = at(2026, 11, 18, 23)  # the same Wednesday, 23:00
MORNING = at(2026, 11, 19, 8)  # Thursday 08:00, the next work start


def facts(now: datetime, **overrides: object) -> MessageFacts:
    base: dict[str, object] = {"chat_id": -100, "message_id": 7, "sender_id": 42, "sent_at": now}
    return MessageFacts(**(base | overrides))  # type: ignore[arg-type]


def labelled(*labels: Label, **fields: object) -> Classification:
    return Classification(labels=frozenset(labels), **fields)  # type: ignore[arg-type]


NOTICE = labelled(Label.NOTICE)


def test_work_time_notice_passes_and_is_logged_as_work_time() -> None:
    decision = decide(POLICY, facts(WORK_TIME), NOTICE, GroupState(), WORK_TIME)
    assert decision.action is Action.PASS
    assert decision.log_action is LogAction.PASSED
    assert not decision.after_hours
    assert not decision.delete_message


def test_quiet_time_notice_is_held_until_next_work_start_and_sender_told() -> None:
    decision = decide(POLICY, facts(NIGHT), NOTICE, GroupState(), NIGHT)
    assert decision.action is Action.HOLD
    assert decision.delete_message
    assert decision.release_at == MORNING
    assert decision.log_action is LogAction.HELD
    (notice,) = decision.notices
    assert notice.audience is Audience.SENDER
    assert notice.key == "hold.notice"
    assert notice.params["reason"] == "quiet_hours"
    assert notice.params["release_at"] == MORNING.isoformat()


def test_weekend_message_is_held_until_monday() -> None:
    saturday = at(2026, 11, 21, 11)
    decision = decide(POLICY, facts(saturday), NOTICE, GroupState(), saturday)
    assert decision.action is Action.HOLD
    assert decision.release_at == at(2026, 11, 23, 8)
    assert decision.notices[0].params["reason"] == "rest_day"


def test_urgent_with_reason_passes_after_hours_and_is_logged() -> None:
    urgent = labelled(
        Label.URGENT, Label.NOTICE, urgent_marker="【紧急】", urgent_reason="河堤渗水"
    )
    decision = decide(POLICY, facts(NIGHT), urgent, GroupState(), NIGHT)
    assert decision.action is Action.PASS
    assert decision.log_action is LogAction.URGENT_PASSED
    assert decision.after_hours


def test_urgent_without_reason_is_held_and_sender_told_a_reason_is_needed() -> None:
    urgent = labelled(Label.URGENT, Label.NOTICE, urgent_marker="【紧急】", urgent_reason=None)
    decision = decide(POLICY, facts(NIGHT), urgent, GroupState(), NIGHT)
    assert decision.action is Action.HOLD
    assert decision.log_action is LogAction.URGENT_NO_REASON
    assert decision.notices[0].key == "urgent.no_reason"


def test_urgent_beyond_weekly_quota_is_held() -> None:
    urgent = labelled(Label.URGENT, urgent_marker="加急", urgent_reason="防汛")
    state = GroupState(sender_urgent_uses_this_week=POLICY.urgent_quota_per_week)
    decision = decide(POLICY, facts(NIGHT), urgent, state, NIGHT)
    assert decision.action is Action.HOLD
    assert decision.log_action is LogAction.URGENT_OVER_QUOTA
    assert decision.notices[0].params["quota"] == str(POLICY.urgent_quota_per_week)


def test_admins_are_not_exempt_by_default_but_exempt_list_is() -> None:
    admin = facts(NIGHT, sender_is_admin=True)
    assert decide(POLICY, admin, NOTICE, GroupState(), NIGHT).action is Action.HOLD
    exempt = GroupPolicy(exempt_user_ids=frozenset({42}))
    decision = decide(exempt, facts(NIGHT), NOTICE, GroupState(), NIGHT)
    assert (decision.action, decision.log_action) == (Action.PASS, LogAction.EXEMPT)
    relaxed = GroupPolicy(admins_exempt=True)
    assert decide(relaxed, admin, NOTICE, GroupState(), NIGHT).log_action is LogAction.EXEMPT


def test_advise_mode_passes_and_tells_the_sender_once_per_period() -> None:
    advise = GroupPolicy(mode=Mode.ADVISE)
    first = decide(advise, facts(NIGHT), NOTICE, GroupState(), NIGHT)
    assert (first.action, first.log_action) == (Action.PASS, LogAction.ADVISED)
    assert not first.delete_message
    assert first.notices[0].key == "advise.notice"
    assert first.release_at == MORNING
    again = decide(advise, facts(NIGHT), NOTICE, GroupState(sender_advised_this_period=True), NIGHT)
    assert again.notices == ()


def test_enforce_without_delete_right_falls_back_to_advise() -> None:
    assert effective_mode(POLICY, bot_can_delete=False) is Mode.ADVISE
    decision = decide(POLICY, facts(NIGHT), NOTICE, GroupState(bot_can_delete=False), NIGHT)
    assert decision.action is Action.PASS
    assert decision.log_action is LogAction.ADVISED


def test_mode_off_passes_everything_but_still_logs() -> None:
    off = GroupPolicy(mode=Mode.OFF)
    decision = decide(off, facts(NIGHT), NOTICE, GroupState(), NIGHT)
    assert (decision.action, decision.log_action) == (Action.PASS, LogAction.MODE_OFF)
    assert decision.after_hours


REQUEST = OpenAckRequest(
    request_id=5,
    request_message_id=100,
    bot_message_id=101,
    expires_at=WORK_TIME + timedelta(hours=1),
)
ACK = labelled(Label.ACK)


def test_ack_replying_to_request_is_absorbed_even_at_night() -> None:
    state = GroupState(open_ack_requests=(REQUEST,))
    night_request = OpenAckRequest(5, 100, 101, NIGHT + timedelta(hours=1))
    for now, current in (
        (WORK_TIME, state),
        (NIGHT, GroupState(open_ack_requests=(night_request,))),
    ):
        decision = decide(POLICY, facts(now, reply_to_message_id=101), ACK, current, now)
        assert decision.action is Action.ABSORB_ACK
        assert decision.ack_request_id == 5
        assert decision.delete_message


def test_ack_without_reply_joins_the_only_open_request_but_not_one_of_two() -> None:
    one = GroupState(open_ack_requests=(REQUEST,))
    assert decide(POLICY, facts(WORK_TIME), ACK, one, WORK_TIME).action is Action.ABSORB_ACK
    other = OpenAckRequest(6, 200, 201, REQUEST.expires_at)
    two = GroupState(open_ack_requests=(REQUEST, other))
    assert decide(POLICY, facts(WORK_TIME), ACK, two, WORK_TIME).action is Action.PASS


def test_ack_after_the_request_window_or_outside_any_request_is_left_alone() -> None:
    later = REQUEST.expires_at + timedelta(minutes=1)
    state = GroupState(open_ack_requests=(REQUEST,))
    assert decide(POLICY, facts(later), ACK, state, later).action is Action.PASS
    assert decide(POLICY, facts(WORK_TIME), ACK, GroupState(), WORK_TIME).action is Action.PASS


def test_ack_replying_to_something_else_is_not_absorbed() -> None:
    state = GroupState(open_ack_requests=(REQUEST,))
    reply = facts(WORK_TIME, reply_to_message_id=999)
    assert decide(POLICY, reply, ACK, state, WORK_TIME).action is Action.PASS


def test_ack_in_advise_mode_is_counted_but_not_deleted() -> None:
    state = GroupState(open_ack_requests=(REQUEST,), bot_can_delete=False)
    decision = decide(POLICY, facts(WORK_TIME), ACK, state, WORK_TIME)
    assert decision.action is Action.ABSORB_ACK
    assert not decision.delete_message


def test_demand_reply_gets_a_button_and_instant_demand_a_reminder() -> None:
    demand = labelled(Label.DEMAND_REPLY, Label.NOTICE, instant_reply=True)
    decision = decide(POLICY, facts(WORK_TIME), demand, GroupState(), WORK_TIME)
    assert decision.attach_ack_button
    assert decision.remind_instant_reply


def test_instant_demand_at_night_is_held_like_any_other() -> None:
    demand = labelled(Label.DEMAND_REPLY, instant_reply=True)
    assert decide(POLICY, facts(NIGHT), demand, GroupState(), NIGHT).action is Action.HOLD


ENTRIES = tuple(RollCallEntry(i + 1, name) for i, name in enumerate(["张三", "李四", "王五"]))
OPEN_CHAIN = OpenRollCall(9, 300, 301, "周日河道清理", ENTRIES)


def test_a_new_chain_starts_a_rollcall_and_a_repost_merges_into_it() -> None:
    chain = labelled(Label.ROLLCALL, rollcall=RollCall("周日河道清理", ENTRIES[:1]))
    started = decide(POLICY, facts(WORK_TIME), chain, GroupState(), WORK_TIME)
    assert started.start_rollcall
    repost = RollCall("周日河道清理", (*ENTRIES, RollCallEntry(4, "赵六", "带工具")))
    merged = decide(
        POLICY,
        facts(WORK_TIME),
        labelled(Label.ROLLCALL, rollcall=repost),
        GroupState(open_rollcalls=(OPEN_CHAIN,)),
        WORK_TIME,
    )
    assert merged.action is Action.MERGE_ROLLCALL
    assert merged.rollcall_id == 9
    assert [e.name for e in merged.new_rollcall_entries] == ["赵六"]
    assert merged.delete_message


LONG_CHAIN = OpenRollCall(
    9,
    300,
    301,
    "周日河道清理",
    tuple(RollCallEntry(i + 1, f"志愿者{i}") for i in range(10)),
)


def _posted(title: str, *names: str, open_chain: OpenRollCall = LONG_CHAIN) -> Decision:
    """The decision on a chain with these lines posted while `open_chain` is open."""
    chain = RollCall(title, tuple(RollCallEntry(i + 1, n) for i, n in enumerate(names)))
    return decide(
        POLICY,
        facts(WORK_TIME),
        labelled(Label.ROLLCALL, rollcall=chain),
        GroupState(open_rollcalls=(open_chain,)),
        WORK_TIME,
    )


def test_an_old_copy_of_a_long_chain_plus_one_line_still_merges_by_its_topic() -> None:
    merged = _posted("週日河道清理 🧹", "志愿者0", "赵六")
    assert merged.action is Action.MERGE_ROLLCALL and merged.rollcall_id == 9
    assert [e.name for e in merged.new_rollcall_entries] == ["赵六"]
    assert len(merged.dropped_rollcall_entries) == 9


def test_a_different_chain_sharing_a_name_or_only_the_word_jielong_starts_its_own() -> None:
    assert _posted("周六党员活动", "志愿者0", "赵六").start_rollcall
    generic = OpenRollCall(9, 300, 301, "接龙", LONG_CHAIN.entries)
    assert _posted("接龙", "志愿者0", "赵六", open_chain=generic).start_rollcall


def test_edit_of_a_work_time_message_is_ignored_and_an_urgent_edit_releases_a_held_one() -> None:
    edit = facts(NIGHT, is_edit=True)
    assert decide(POLICY, edit, NOTICE, GroupState(), NIGHT).action is Action.IGNORE
    urgent = labelled(Label.URGENT, urgent_marker="【紧急】", urgent_reason="停电抢修")
    held = GroupState(message_is_held=True)
    assert decide(POLICY, edit, urgent, held, NIGHT).action is Action.RELEASE_HELD
    no_reason = labelled(Label.URGENT, urgent_marker="【紧急】")
    assert decide(POLICY, edit, no_reason, held, NIGHT).action is Action.IGNORE


@pytest.mark.parametrize(
    ("local", "monday"),
    [((2026, 11, 18, 23), (2026, 11, 16)), ((2026, 11, 23, 0, 30), (2026, 11, 23))],
)
def test_urgent_quota_week_starts_monday_midnight_in_the_group_zone(
    local: tuple[int, ...], monday: tuple[int, int, int]
) -> None:
    now = at(*local)
    assert urgent_week_start(POLICY, now) == at(*monday, 0)


def test_lunch_window_is_quiet_too() -> None:
    from policies.group_policy import QuietWindow

    lunch = GroupPolicy(quiet_windows=(QuietWindow(time(12), time(13, 30)),))
    noon = at(2026, 11, 18, 12, 15)
    decision = decide(lunch, facts(noon), NOTICE, GroupState(), noon)
    assert decision.release_at == at(2026, 11, 18, 13, 30)


def test_policy_validation_rejects_unknown_calendars_and_all_day_quiet_hours() -> None:
    from policies.group_policy import QuietWindow, policy_problems

    assert policy_problems(POLICY) == []
    unknown = GroupPolicy(holiday_calendar="atlantis")
    assert [p.key for p in policy_problems(unknown)] == ["policy.error.holiday_calendar"]
    whole_day = GroupPolicy(
        quiet_windows=(QuietWindow(time(0), time(12)), QuietWindow(time(12), time(0)))
    )
    assert [p.key for p in policy_problems(whole_day)] == ["policy.error.whole_day"]


@pytest.mark.parametrize("now", [WORK_TIME, NIGHT])
def test_a_quiet_status_the_caller_computed_gives_the_same_decision(now: datetime) -> None:
    quiet = quiet_status(POLICY, now)
    given = decide(POLICY, facts(now), NOTICE, GroupState(), now, quiet)
    assert given == decide(POLICY, facts(now), NOTICE, GroupState(), now)
    assert given.quiet is quiet
