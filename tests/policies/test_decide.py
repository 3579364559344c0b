"""The decision on one message: each feature's rules composed, given policy, state and `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest
import pytz

from policies.calendar import QuietStatus, quiet_status
from policies.classification import Classification, RollCall, RollCallEntry
from policies.decide import Decision, Fate, LogAction, Situation, decide, effective_mode
from policies.features.acks import RULES as ACK_RULES
from policies.features.acks import (
    AbsorbAck,
    AcksState,
    AttachAckButton,
    CountAck,
    OpenAckRequest,
    Posted,
)
from policies.features.holding import RULES as HOLDING_RULES
from policies.features.holding import Hold, HoldingState, ReleaseEdited, urgent_week_start
from policies.features.notices import Audience, Tell
from policies.features.reminders import RULES as REMINDER_RULES
from policies.features.reminders import RemindRule
from policies.features.rollcalls import RULES as ROLLCALL_RULES
from policies.features.rollcalls import (
    ListedLine,
    MergeRollcall,
    OpenRollCall,
    RollcallsState,
    StartRollcall,
)
from policies.group_policy import GroupPolicy, Mode
from policies.labels import Label
from policies.message import (
    Attachment,
    AttachmentKind,
    ChatKind,
    ChatMessage,
    ChatRef,
    Entity,
    Person,
    ReplyTarget,
)

SHANGHAI = pytz.timezone("Asia/Shanghai")
POLICY = GroupPolicy()
GROUP = ChatRef(-100, ChatKind.SUPERGROUP, "青石镇工作群")
SENDER = Person(42, "李明")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as a UTC instant."""
    return SHANGHAI.localize(datetime(year, month, day, hour, minute)).astimezone(UTC)


WORK_TIME = at(2026, 11, 18, 10)  # a Wednesday morning
NIGHT = at(2026, 11, 18, 23)  # the same Wednesday, 23:00
MORNING = at(2026, 11, 19, 8)  # Thursday 08:00, the next work start


NO_ACKS, NO_ROLLCALLS, NOT_HELD = AcksState(), RollcallsState(), HoldingState()


def message(now: datetime, *, reply_to: int | None = None, edit: bool = False) -> ChatMessage:
    return ChatMessage(
        GROUP,
        7,
        now,
        sender=SENDER,
        text="…",
        reply_to=ReplyTarget(reply_to) if reply_to is not None else None,
        edited_at=now if edit else None,
    )


def decision(
    policy: GroupPolicy,
    posted: ChatMessage,
    classification: Classification,
    now: datetime,
    *,
    acks: AcksState = NO_ACKS,
    rollcalls: RollcallsState = NO_ROLLCALLS,
    holding: HoldingState = NOT_HELD,
    bot_can_delete: bool = True,
    sender_is_admin: bool = False,
    quiet: QuietStatus | None = None,
) -> Decision:
    situation = Situation(
        posted,
        classification,
        policy,
        quiet_status(policy, now) if quiet is None else quiet,
        now,
        bot_can_delete=bot_can_delete,
        sender_is_admin=sender_is_admin,
    )
    features = (
        (ACK_RULES, acks),
        (ROLLCALL_RULES, rollcalls),
        (HOLDING_RULES, holding),
        (REMINDER_RULES, None),
    )
    return decide(situation, features)


def labelled(*labels: Label, **fields: object) -> Classification:
    return Classification(labels=frozenset(labels), **fields)  # type: ignore[arg-type]


def hold_of(decided: Decision) -> Hold:
    (hold,) = decided.of(Hold)
    return hold


NOTICE = labelled(Label.NOTICE)


def test_work_time_notice_passes_and_is_logged_as_work_time() -> None:
    decided = decision(POLICY, message(WORK_TIME), NOTICE, WORK_TIME)
    assert decided.fate is Fate.KEPT
    assert decided.log is LogAction.PASSED
    assert not decided.after_hours
    assert decided.effects == ()


def test_quiet_time_notice_is_held_until_next_work_start_and_sender_told() -> None:
    decided = decision(POLICY, message(NIGHT), NOTICE, NIGHT)
    assert decided.fate is Fate.HELD
    assert hold_of(decided).release_at == MORNING
    assert decided.log is LogAction.HELD
    (notice,) = decided.of(Tell)
    assert notice.audience is Audience.SENDER
    assert notice.key == "hold.notice"
    assert notice.params["reason"] == "quiet_hours"
    assert notice.params["release_at"] == MORNING.isoformat()


def test_the_hold_notice_is_told_once_per_quiet_period() -> None:
    told = HoldingState(told_this_period=frozenset({"hold.notice"}))
    again = decision(POLICY, message(NIGHT), NOTICE, NIGHT, holding=told)
    assert again.fate is Fate.HELD
    assert again.of(Tell) == ()
    (first,) = decision(POLICY, message(NIGHT), NOTICE, NIGHT).of(Tell)
    assert first.once_per == MORNING.isoformat()


def test_weekend_message_is_held_until_monday() -> None:
    saturday = at(2026, 11, 21, 11)
    decided = decision(POLICY, message(saturday), NOTICE, saturday)
    assert decided.fate is Fate.HELD
    assert hold_of(decided).release_at == at(2026, 11, 23, 8)
    assert decided.of(Tell)[0].params["reason"] == "rest_day"


def test_urgent_with_reason_passes_after_hours_and_is_logged() -> None:
    urgent = labelled(
        Label.URGENT, Label.NOTICE, urgent_marker="【紧急】", urgent_reason="河堤渗水"
    )
    decided = decision(POLICY, message(NIGHT), urgent, NIGHT)
    assert decided.fate is Fate.KEPT
    assert decided.log is LogAction.URGENT_PASSED
    assert decided.after_hours


def test_urgent_without_reason_is_held_and_sender_told_a_reason_is_needed() -> None:
    urgent = labelled(Label.URGENT, Label.NOTICE, urgent_marker="【紧急】", urgent_reason=None)
    decided = decision(POLICY, message(NIGHT), urgent, NIGHT)
    assert decided.fate is Fate.HELD
    assert decided.log is LogAction.URGENT_NO_REASON
    (notice,) = decided.of(Tell)
    assert notice.key == "urgent.no_reason"
    assert notice.once_per is None


def test_urgent_beyond_weekly_quota_is_held() -> None:
    urgent = labelled(Label.URGENT, urgent_marker="加急", urgent_reason="防汛")
    state = HoldingState(urgent_uses_this_week=POLICY.urgent_quota_per_week)
    decided = decision(POLICY, message(NIGHT), urgent, NIGHT, holding=state)
    assert decided.fate is Fate.HELD
    assert decided.log is LogAction.URGENT_OVER_QUOTA
    assert decided.of(Tell)[0].params["quota"] == str(POLICY.urgent_quota_per_week)


def test_admins_are_not_exempt_by_default_but_exempt_list_is() -> None:
    posted = message(NIGHT)
    admin = decision(POLICY, posted, NOTICE, NIGHT, sender_is_admin=True)
    assert admin.fate is Fate.HELD
    exempt = GroupPolicy(exempt_user_ids=frozenset({42}))
    decided = decision(exempt, posted, NOTICE, NIGHT)
    assert (decided.fate, decided.log) == (Fate.KEPT, LogAction.EXEMPT)
    relaxed = GroupPolicy(admins_exempt=True)
    relaxed_admin = decision(relaxed, posted, NOTICE, NIGHT, sender_is_admin=True)
    assert relaxed_admin.log is LogAction.EXEMPT


def test_advise_mode_passes_and_tells_the_sender_once_per_period() -> None:
    advise = GroupPolicy(mode=Mode.ADVISE)
    first = decision(advise, message(NIGHT), NOTICE, NIGHT)
    assert (first.fate, first.log) == (Fate.KEPT, LogAction.ADVISED)
    assert first.of(Hold) == ()
    (notice,) = first.of(Tell)
    assert notice.key == "advise.notice"
    assert notice.params["release_at"] == MORNING.isoformat()
    told = HoldingState(told_this_period=frozenset({"advise.notice"}))
    again = decision(advise, message(NIGHT), NOTICE, NIGHT, holding=told)
    assert again.of(Tell) == ()


def test_enforce_without_delete_right_falls_back_to_advise() -> None:
    assert effective_mode(POLICY, bot_can_delete=False) is Mode.ADVISE
    decided = decision(POLICY, message(NIGHT), NOTICE, NIGHT, bot_can_delete=False)
    assert decided.fate is Fate.KEPT
    assert decided.log is LogAction.ADVISED


def test_mode_off_passes_everything_but_still_logs() -> None:
    off = GroupPolicy(mode=Mode.OFF)
    decided = decision(off, message(NIGHT), NOTICE, NIGHT)
    assert (decided.fate, decided.log) == (Fate.KEPT, LogAction.MODE_OFF)
    assert decided.after_hours
    assert decided.effects == ()


REQUEST = OpenAckRequest(
    request_id=5,
    request_message_id=100,
    bot_message_id=101,
    expires_at=WORK_TIME + timedelta(hours=1),
)
ACK = labelled(Label.ACK)


def test_ack_replying_to_request_is_absorbed_even_at_night() -> None:
    night_request = OpenAckRequest(5, 100, 101, NIGHT + timedelta(hours=1))
    for now, current in (
        (WORK_TIME, AcksState((REQUEST,))),
        (NIGHT, AcksState((night_request,))),
    ):
        decided = decision(POLICY, message(now, reply_to=101), ACK, now, acks=current)
        assert decided.fate is Fate.ABSORBED
        assert decided.of(AbsorbAck) == (AbsorbAck(5, delete=True),)


REQUESTER = 77
LATER = OpenAckRequest(6, 200, 201, REQUEST.expires_at, requester_id=REQUESTER)


def test_ack_without_reply_joins_the_latest_request_when_nothing_came_since() -> None:
    one = decision(POLICY, message(WORK_TIME), ACK, WORK_TIME, acks=AcksState((REQUEST,)))
    assert one.of(AbsorbAck) == (AbsorbAck(5, delete=True),)
    talk = (Posted(43, frozenset({Label.CHAT})), Posted(44, frozenset({Label.CHAT})))
    two = AcksState((REQUEST, LATER), posted_since=talk)
    decided = decision(POLICY, message(WORK_TIME), ACK, WORK_TIME, acks=two)
    assert decided.of(AbsorbAck) == (AbsorbAck(6, delete=True),)


@pytest.mark.parametrize(
    "since",
    [
        (Posted(43, frozenset({Label.NOTICE})),),  # another notice, by anyone
        (Posted(43, frozenset({Label.DEMAND_REPLY, Label.DATA_REQUEST})),),
        (Posted(43, frozenset({Label.URGENT})),),
        (Posted(REQUESTER, frozenset({Label.CHAT})),),  # the requester went on talking
    ],
    ids=["notice", "demand", "urgent", "requester"],
)
def test_a_bare_ack_that_may_answer_something_later_is_left_alone(
    since: tuple[Posted, ...],
) -> None:
    state = AcksState((REQUEST, LATER), posted_since=since)
    assert decision(POLICY, message(WORK_TIME), ACK, WORK_TIME, acks=state).fate is Fate.KEPT
    replied = decision(POLICY, message(WORK_TIME, reply_to=201), ACK, WORK_TIME, acks=state)
    assert replied.of(AbsorbAck) == (AbsorbAck(6, delete=True),)


def test_a_bare_ack_long_after_the_request_is_left_alone() -> None:
    state = AcksState((REQUEST,), more_since=True)
    assert decision(POLICY, message(WORK_TIME), ACK, WORK_TIME, acks=state).fate is Fate.KEPT


def test_the_requester_does_not_acknowledge_their_own_request() -> None:
    own = replace(REQUEST, requester_id=SENDER.id)
    state = AcksState((own,))
    for posted in (message(WORK_TIME), message(WORK_TIME, reply_to=101)):
        assert decision(POLICY, posted, ACK, WORK_TIME, acks=state).fate is Fate.KEPT


def test_an_acknowledgement_with_content_counts_and_stays() -> None:
    said = labelled(Label.CHAT, opens_with_ack=True)
    state = AcksState((REQUEST,))
    replied = decision(POLICY, message(WORK_TIME, reply_to=100), said, WORK_TIME, acks=state)
    assert (replied.fate, replied.log) == (Fate.KEPT, LogAction.PASSED)
    assert replied.of(CountAck) == (CountAck(5),)
    elsewhere = decision(POLICY, message(WORK_TIME, reply_to=999), said, WORK_TIME, acks=state)
    assert elsewhere.of(CountAck) == ()


def test_ack_after_the_request_window_or_outside_any_request_is_left_alone() -> None:
    later = REQUEST.expires_at + timedelta(minutes=1)
    state = AcksState((REQUEST,))
    assert decision(POLICY, message(later), ACK, later, acks=state).fate is Fate.KEPT
    assert decision(POLICY, message(WORK_TIME), ACK, WORK_TIME).fate is Fate.KEPT


def test_ack_replying_to_something_else_is_not_absorbed() -> None:
    state = AcksState((REQUEST,))
    reply = message(WORK_TIME, reply_to=999)
    assert decision(POLICY, reply, ACK, WORK_TIME, acks=state).fate is Fate.KEPT


def test_ack_in_advise_mode_is_counted_but_not_deleted() -> None:
    state = AcksState((REQUEST,))
    decided = decision(POLICY, message(WORK_TIME), ACK, WORK_TIME, acks=state, bot_can_delete=False)
    assert decided.fate is Fate.ABSORBED
    assert decided.of(AbsorbAck) == (AbsorbAck(5, delete=False),)


def test_demand_reply_gets_a_button_and_instant_demand_a_reminder() -> None:
    demand = labelled(Label.DEMAND_REPLY, Label.NOTICE, instant_reply=True)
    decided = decision(POLICY, message(WORK_TIME), demand, WORK_TIME)
    assert decided.of(AttachAckButton) == (AttachAckButton(instant_reply=True),)
    assert decided.of(RemindRule) == (RemindRule("rule.instant_reply"),)


def test_instant_demand_at_night_is_held_like_any_other() -> None:
    demand = labelled(Label.DEMAND_REPLY, instant_reply=True)
    decided = decision(POLICY, message(NIGHT), demand, NIGHT)
    assert decided.fate is Fate.HELD
    assert decided.of(AttachAckButton) == ()
    assert decided.of(RemindRule) == ()


def listed(*names: str) -> tuple[ListedLine, ...]:
    return tuple(ListedLine(i + 1, name) for i, name in enumerate(names))


ENTRIES = tuple(RollCallEntry(i + 1, name) for i, name in enumerate(["张三", "李四", "王五"]))
OPEN_CHAIN = OpenRollCall(9, 300, "周日河道清理", listed("张三", "李四", "王五"))


def test_a_new_chain_starts_a_rollcall_and_a_repost_merges_into_it() -> None:
    chain = labelled(Label.ROLLCALL, rollcall=RollCall("周日河道清理", ENTRIES[:1]))
    started = decision(POLICY, message(WORK_TIME), chain, WORK_TIME)
    first = RollCall("周日河道清理", ENTRIES[:1])
    assert started.of(StartRollcall) == (StartRollcall(first, None),)
    repost = RollCall("周日河道清理", (*ENTRIES, RollCallEntry(4, "赵六", "带工具")))
    merged = decision(
        POLICY,
        message(WORK_TIME),
        labelled(Label.ROLLCALL, rollcall=repost),
        WORK_TIME,
        rollcalls=RollcallsState((OPEN_CHAIN,)),
    )
    assert merged.fate is Fate.MERGED
    (merge,) = merged.of(MergeRollcall)
    assert merge.rollcall_id == 9
    assert [e.name for e in merge.added] == ["赵六"]
    assert merge.delete
    # The repost is removed, so its poster hears why, once per roll-call.
    assert merged.of(Tell) == (
        Tell(Audience.SENDER, "rollcall.merged", {"title": "周日河道清理"}, once_per="rollcall:9"),
    )
    advised = decision(
        POLICY,
        message(WORK_TIME),
        labelled(Label.ROLLCALL, rollcall=repost),
        WORK_TIME,
        rollcalls=RollcallsState((OPEN_CHAIN,)),
        bot_can_delete=False,
    )
    assert advised.fate is Fate.MERGED and advised.of(Tell) == (), "it stays: nothing to explain"


LONG_CHAIN = OpenRollCall(9, 300, "周日河道清理", listed(*(f"志愿者{i}" for i in range(10))))


def _posted(title: str, *names: str, open_chain: OpenRollCall = LONG_CHAIN) -> Decision:
    """The decision on a chain with these lines posted while `open_chain` is open."""
    chain = RollCall(title, tuple(RollCallEntry(i + 1, n) for i, n in enumerate(names)))
    return decision(
        POLICY,
        message(WORK_TIME),
        labelled(Label.ROLLCALL, rollcall=chain),
        WORK_TIME,
        rollcalls=RollcallsState((open_chain,)),
    )


def test_an_old_copy_of_a_long_chain_plus_one_line_still_merges_by_its_topic() -> None:
    merged = _posted("週日河道清理 🧹", "志愿者0", "赵六")
    assert merged.fate is Fate.MERGED
    (merge,) = merged.of(MergeRollcall)
    assert merge.rollcall_id == 9
    assert [e.name for e in merge.added] == ["赵六"]
    # Someone else's older copy leaves out nine lines: they stay on the list.
    assert (len(merge.kept), merge.withdrawn) == (9, ())


def test_a_repost_leaving_out_the_posters_own_line_withdraws_it() -> None:
    mine = replace(LONG_CHAIN, lines=(ListedLine(1, "李明", user_id=42), *LONG_CHAIN.lines[1:]))
    (merge,) = _posted("周日河道清理", *(f"志愿者{i}" for i in range(1, 10)), open_chain=mine).of(
        MergeRollcall
    )
    assert merge.withdrawn == (1,)


def test_a_different_chain_sharing_a_name_or_only_the_word_jielong_starts_its_own() -> None:
    assert _posted("周六党员活动", "志愿者0", "赵六").of(StartRollcall)
    generic = replace(LONG_CHAIN, title="接龙")
    assert _posted("接龙", "志愿者0", "赵六", open_chain=generic).of(StartRollcall)


def test_edit_of_a_work_time_message_is_ignored_and_an_urgent_edit_releases_a_held_one() -> None:
    edit = message(NIGHT, edit=True)
    assert decision(POLICY, edit, NOTICE, NIGHT).fate is Fate.IGNORED
    urgent = labelled(Label.URGENT, urgent_marker="【紧急】", urgent_reason="停电抢修")
    held = HoldingState(message_is_held=True)
    released = decision(POLICY, edit, urgent, NIGHT, holding=held)
    assert (released.fate, released.log) == (Fate.RELEASED, LogAction.RELEASED_BY_EDIT)
    assert released.of(ReleaseEdited) == (ReleaseEdited(),)
    no_reason = labelled(Label.URGENT, urgent_marker="【紧急】")
    assert decision(POLICY, edit, no_reason, NIGHT, holding=held).fate is Fate.IGNORED


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
    decided = decision(lunch, message(noon), NOTICE, noon)
    assert hold_of(decided).release_at == at(2026, 11, 18, 13, 30)


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
    given = decision(POLICY, message(now), NOTICE, now, quiet=quiet)
    assert given == decision(POLICY, message(now), NOTICE, now)
    assert given.quiet is quiet


CARRIED = (
    {"attachment": Attachment(AttachmentKind.PHOTO, "photo-1")},
    {"attachment": Attachment(AttachmentKind.DOCUMENT, "doc-1", file_name="表.xlsx")},
    {"attachment": Attachment(AttachmentKind.LOCATION)},
    {"attachment": Attachment(AttachmentKind.CONTACT)},
    {"entities": (Entity("text_link", 0, 2, url="https://example.org"),)},
    {"caption_entities": (Entity("url", 0, 5),)},
)


@pytest.mark.parametrize("carried", CARRIED, ids=lambda c: next(iter(c.values())).__repr__()[:20])
def test_an_acknowledgement_carrying_content_counts_and_is_never_absorbed(
    carried: dict[str, object],
) -> None:
    posted = replace(message(WORK_TIME, reply_to=101), **carried)  # type: ignore[arg-type]
    decided = decision(POLICY, posted, ACK, WORK_TIME, acks=AcksState((REQUEST,)))
    assert decided.fate is Fate.KEPT and decided.of(AbsorbAck) == ()
    assert decided.of(CountAck) == (CountAck(5),)


@pytest.mark.parametrize("carried", CARRIED, ids=lambda c: next(iter(c.values())).__repr__()[:20])
def test_a_repost_carrying_content_is_merged_but_never_removed(carried: dict[str, object]) -> None:
    repost = RollCall("周日河道清理", (*ENTRIES, RollCallEntry(4, "赵六")))
    posted = replace(message(WORK_TIME), **carried)  # type: ignore[arg-type]
    decided = decision(
        POLICY,
        posted,
        labelled(Label.ROLLCALL, rollcall=repost),
        WORK_TIME,
        rollcalls=RollcallsState((OPEN_CHAIN,)),
    )
    assert decided.fate is Fate.KEPT and decided.of(Tell) == ()
    (merge,) = decided.of(MergeRollcall)
    assert [e.name for e in merge.added] == ["赵六"] and not merge.delete
    assert decided.of(StartRollcall) == (), "merged, not a second roll-call"
