"""What should happen to one group message: a pure function of policy, facts, state and `now`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum

import pytz

from policies.calendar import QuietStatus, next_work_start, quiet_status
from policies.classification import Classification, RollCallEntry
from policies.group_policy import GroupPolicy, Mode
from policies.labels import Label
from policies.normalize import normalize
from policies.rollcall import merge_repost


class Action(StrEnum):
    PASS = "pass"
    HOLD = "hold"
    ABSORB_ACK = "absorb_ack"
    MERGE_ROLLCALL = "merge_rollcall"
    RELEASE_HELD = "release_held"  # an edit gave a held message a marker and a reason
    IGNORE = "ignore"  # nothing to do and nothing to log (e.g. a work-time edit)


class LogAction(StrEnum):
    """What the after-hours log records; also used for work-time rows."""

    PASSED = "passed"
    HELD = "held"
    URGENT_PASSED = "urgent_passed"
    URGENT_NO_REASON = "urgent_no_reason"
    URGENT_OVER_QUOTA = "urgent_over_quota"
    EXEMPT = "exempt"
    ADVISED = "advised"
    ABSORBED = "absorbed"
    MERGED = "merged"
    RELEASED_BY_EDIT = "released_by_edit"
    MODE_OFF = "mode_off"


class Audience(StrEnum):
    SENDER = "sender"  # a private message to the sender (group notice when the bot cannot DM)
    GROUP = "group"  # a reply in the group


@dataclass(frozen=True, slots=True)
class Notice:
    audience: Audience
    key: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """A group message reduced to what the rules look at."""

    chat_id: int
    message_id: int
    sender_id: int
    sent_at: datetime
    sender_is_admin: bool = False
    sender_is_bot: bool = False
    reply_to_message_id: int | None = None
    is_edit: bool = False
    is_command: bool = False


@dataclass(frozen=True, slots=True)
class OpenAckRequest:
    request_id: int
    request_message_id: int
    bot_message_id: int | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class OpenRollCall:
    rollcall_id: int
    source_message_id: int
    bot_message_id: int | None
    title: str
    entries: tuple[RollCallEntry, ...]


@dataclass(frozen=True, slots=True)
class GroupState:
    """What the bot already knows that bears on this message."""

    open_ack_requests: tuple[OpenAckRequest, ...] = ()
    open_rollcalls: tuple[OpenRollCall, ...] = ()
    sender_urgent_uses_this_week: int = 0
    bot_can_delete: bool = True
    message_is_held: bool = False  # for edits: the edited message is currently held
    sender_advised_this_period: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    log_action: LogAction | None
    after_hours: bool
    quiet: QuietStatus
    release_at: datetime | None = None
    ack_request_id: int | None = None
    rollcall_id: int | None = None
    new_rollcall_entries: tuple[RollCallEntry, ...] = ()
    dropped_rollcall_entries: tuple[RollCallEntry, ...] = ()
    attach_ack_button: bool = False
    start_rollcall: bool = False
    remind_instant_reply: bool = False
    delete_message: bool = False
    notices: tuple[Notice, ...] = ()


def effective_mode(policy: GroupPolicy, bot_can_delete: bool) -> Mode:
    """The mode the bot can actually apply: enforce needs the right to delete messages."""
    if policy.mode is Mode.ENFORCE and not bot_can_delete:
        return Mode.ADVISE
    return policy.mode


def matching_ack_request(
    facts: MessageFacts, requests: tuple[OpenAckRequest, ...], now: datetime
) -> OpenAckRequest | None:
    """The open request an ack belongs to: the one replied to, else the only one open."""
    live = tuple(r for r in requests if r.expires_at > now)
    if facts.reply_to_message_id is not None:
        for request in live:
            if facts.reply_to_message_id in (request.request_message_id, request.bot_message_id):
                return request
        return None
    return live[0] if len(live) == 1 else None


def matching_rollcall(
    classification: Classification, rollcalls: tuple[OpenRollCall, ...]
) -> OpenRollCall | None:
    """The open roll-call a posted chain repeats: most of its known entries reappear in it,
    or it has the same topic and some of them (an old copy plus one new line)."""
    chain = classification.rollcall
    if chain is None:
        return None
    best: OpenRollCall | None = None
    best_kept = 0
    for rollcall in rollcalls:
        diff = merge_repost(rollcall.entries, chain)
        kept = len(rollcall.entries) - len(diff.dropped)
        most_kept = kept * 2 >= len(rollcall.entries)
        same_topic = _topic_key(rollcall.title) == _topic_key(chain.title) != _GENERIC_TOPIC
        if (most_kept or same_topic) and kept > best_kept:
            best, best_kept = rollcall, kept
    return best


_GENERIC_TOPIC = "接龙"
_NOT_TOPIC = re.compile(r"[\W_]+")


def _topic_key(title: str) -> str:
    """A chain's topic ignoring script, emoji, spacing and punctuation."""
    return _NOT_TOPIC.sub("", normalize(title)).lower()


def urgent_week_start(policy: GroupPolicy, now: datetime) -> datetime:
    """Monday 00:00 in the group's zone of the week containing `now`, as UTC: the quota's window."""
    zone = pytz.timezone(policy.timezone)
    local_day = now.astimezone(zone).date()
    monday = datetime.combine(local_day - timedelta(days=local_day.weekday()), time())
    return zone.localize(monday).astimezone(pytz.utc)


def _hold_reason_params(quiet: QuietStatus) -> dict[str, str]:
    params = {"reason": str(quiet.reason) if quiet.reason else ""}
    if quiet.holiday_name:
        params["holiday"] = quiet.holiday_name
    return params


def decide(
    policy: GroupPolicy,
    facts: MessageFacts,
    classification: Classification,
    state: GroupState,
    now: datetime,
    quiet: QuietStatus | None = None,
) -> Decision:
    """The decision for one group message (new or edited); `quiet` is quiet_status(policy, now)
    when the caller has it already."""
    quiet = quiet_status(policy, now) if quiet is None else quiet
    mode = effective_mode(policy, state.bot_can_delete)
    if facts.is_edit:
        return _decide_edit(policy, classification, state, quiet, now)
    if mode is Mode.OFF:
        return Decision(Action.PASS, LogAction.MODE_OFF, quiet.quiet, quiet)
    if facts.is_command:
        return Decision(Action.PASS, None, quiet.quiet, quiet)
    if classification.has(Label.ACK):
        request = matching_ack_request(facts, state.open_ack_requests, now)
        if request is not None or policy.absorb_stray_acks:
            return Decision(
                Action.ABSORB_ACK,
                LogAction.ABSORBED,
                quiet.quiet,
                quiet,
                ack_request_id=request.request_id if request else None,
                delete_message=mode is Mode.ENFORCE,
            )
    if classification.has(Label.ROLLCALL):
        rollcall = matching_rollcall(classification, state.open_rollcalls)
        if rollcall is not None and classification.rollcall is not None:
            diff = merge_repost(rollcall.entries, classification.rollcall)
            return Decision(
                Action.MERGE_ROLLCALL,
                LogAction.MERGED,
                quiet.quiet,
                quiet,
                rollcall_id=rollcall.rollcall_id,
                new_rollcall_entries=diff.added,
                dropped_rollcall_entries=diff.dropped,
                delete_message=mode is Mode.ENFORCE,
            )
    if quiet.quiet:
        return _decide_quiet(policy, facts, classification, state, quiet, mode, now)
    return _work_time_pass(classification, quiet, LogAction.PASSED, after_hours=False)


def _work_time_pass(
    classification: Classification, quiet: QuietStatus, log: LogAction, after_hours: bool
) -> Decision:
    """A message that goes through, with the help it earns (ack button, roll-call, reminder)."""
    urgent = classification.has(Label.URGENT) and classification.urgent_reason is not None
    return Decision(
        Action.PASS,
        log,
        after_hours,
        quiet,
        attach_ack_button=classification.has(Label.DEMAND_REPLY),
        start_rollcall=classification.has(Label.ROLLCALL),
        remind_instant_reply=classification.instant_reply and not urgent,
    )


def _decide_quiet(
    policy: GroupPolicy,
    facts: MessageFacts,
    classification: Classification,
    state: GroupState,
    quiet: QuietStatus,
    mode: Mode,
    now: datetime,
) -> Decision:
    exempt = facts.sender_id in policy.exempt_user_ids or (
        policy.admins_exempt and facts.sender_is_admin
    )
    if exempt:
        return _work_time_pass(classification, quiet, LogAction.EXEMPT, after_hours=True)
    release_at = quiet.resumes_at or next_work_start(policy, now)
    hold_key, log = "hold.notice", LogAction.HELD
    if classification.has(Label.URGENT):
        if classification.urgent_reason is None:
            hold_key, log = "urgent.no_reason", LogAction.URGENT_NO_REASON
        elif state.sender_urgent_uses_this_week >= policy.urgent_quota_per_week:
            hold_key, log = "urgent.over_quota", LogAction.URGENT_OVER_QUOTA
        else:
            return _work_time_pass(classification, quiet, LogAction.URGENT_PASSED, after_hours=True)
    params = _hold_reason_params(quiet) | {
        "release_at": release_at.isoformat(),
        "quota": str(policy.urgent_quota_per_week),
    }
    if mode is Mode.ADVISE:
        notices = (
            ()
            if state.sender_advised_this_period
            else (Notice(Audience.SENDER, "advise.notice", params),)
        )
        return Decision(Action.PASS, LogAction.ADVISED, True, quiet, release_at, notices=notices)
    return Decision(
        Action.HOLD,
        log,
        True,
        quiet,
        release_at,
        delete_message=True,
        notices=(Notice(Audience.SENDER, hold_key, params),),
    )


def _decide_edit(
    policy: GroupPolicy,
    classification: Classification,
    state: GroupState,
    quiet: QuietStatus,
    now: datetime,
) -> Decision:
    """Edits never hold anything; adding a marker and a reason to a held message releases it."""
    if not state.message_is_held:
        return Decision(Action.IGNORE, None, quiet.quiet, quiet)
    has_reason = classification.has(Label.URGENT) and classification.urgent_reason is not None
    if has_reason and state.sender_urgent_uses_this_week < policy.urgent_quota_per_week:
        return Decision(Action.RELEASE_HELD, LogAction.RELEASED_BY_EDIT, quiet.quiet, quiet, now)
    return Decision(Action.IGNORE, None, quiet.quiet, quiet)
