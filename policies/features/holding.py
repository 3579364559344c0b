"""Quiet hours enforced: what is held until work resumes, what passes as urgent, who is exempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pytz

from policies.calendar import QuietStatus, next_work_start, quiet_status
from policies.decide import Claim, Effect, Fate, LogAction, Outcome, Situation
from policies.features.notices import Audience, Tell, period_key, tell_once
from policies.group_policy import GroupPolicy, Mode
from policies.labels import Label

HOLD_NOTICE = "hold.notice"
ADVISE_NOTICE = "advise.notice"
ONCE_PER_PERIOD = frozenset({HOLD_NOTICE, ADVISE_NOTICE})
"""Notices a sender hears once per quiet period: the rule and the time are the same all night."""


@dataclass(frozen=True, slots=True)
class Released:
    """How a held message is posted again."""

    button: bool = False  # it demands replies: it gets the acknowledgement button and tally
    instant_reply: bool = False  # within minutes (秒回): the request records it
    left_out: bool = False  # a plain acknowledgement of nothing posted again: not re-posted


@dataclass(frozen=True, slots=True)
class Hold(Effect):
    """Store the message, remove it from the group, post it again at `release_at` as `how`."""

    release_at: datetime
    how: Released = Released()


@dataclass(frozen=True, slots=True)
class ReleaseEdited(Effect):
    """An edit gave a held message a marker and a reason: post it now, as it reads now."""

    how: Released = Released()


@dataclass(frozen=True, slots=True)
class HoldingState:
    urgent_uses_this_week: int = 0  # the sender's urgent passes in this group since Monday
    message_is_held: bool = False  # for edits: the edited message is held right now
    told_this_period: frozenset[str] = frozenset()  # ONCE_PER_PERIOD keys the sender heard
    replied_is_held: bool = False  # for a plain acknowledgement: what it replies to is held


def released_as(situation: Situation) -> Released:
    """How the message is posted again when held now: a demand with its button."""
    classification = situation.classification
    return Released(
        button=classification.has(Label.DEMAND_REPLY),
        instant_reply=classification.instant_reply,
    )


def is_plain_ack(situation: Situation) -> bool:
    """A bare acknowledgement (收到, 1, 👍) and nothing more: no file, link or poll with it."""
    message = situation.message
    return situation.classification.has(Label.ACK) and not message.carries_content


def urgent_week_start(policy: GroupPolicy, now: datetime) -> datetime:
    """Monday 00:00 in the group's zone of the week containing `now`, as UTC: the quota's window."""
    zone = pytz.timezone(policy.timezone)
    local_day = now.astimezone(zone).date()
    monday = datetime.combine(local_day - timedelta(days=local_day.weekday()), time())
    return zone.localize(monday).astimezone(pytz.utc)


def release_time(situation: Situation) -> datetime:
    """When a message held now is posted again: the next work start."""
    return _work_resumes(situation.policy, situation.quiet, situation.now)


def replanned_release(policy: GroupPolicy, now: datetime) -> datetime:
    """When a message held under earlier rules is posted under `policy`, whose rules changed at
    `now`: at the next work start, or now when it is work time (never earlier)."""
    quiet = quiet_status(policy, now)
    return _work_resumes(policy, quiet, now) if quiet.quiet else now


def _work_resumes(policy: GroupPolicy, quiet: QuietStatus, now: datetime) -> datetime:
    return quiet.resumes_at or next_work_start(policy, now)


def is_exempt(situation: Situation) -> bool:
    policy = situation.policy
    return situation.message.sender_id in policy.exempt_user_ids or (
        policy.admins_exempt and situation.by_admin
    )


def _has_urgent_reason(situation: Situation) -> bool:
    classification = situation.classification
    return classification.has(Label.URGENT) and classification.urgent_reason is not None


def _reason_params(quiet: QuietStatus) -> dict[str, str]:
    params = {"reason": str(quiet.reason) if quiet.reason else ""}
    if quiet.holiday_name:
        params["holiday"] = quiet.holiday_name
    return params


class HoldingRules:
    def claim(self, situation: Situation, state: HoldingState) -> Claim | None:
        if situation.message.is_edit:
            return self._edit(situation, state)
        if not situation.quiet.quiet:
            return None
        if is_exempt(situation):
            return Claim(Fate.KEPT, LogAction.EXEMPT)
        policy, classification = situation.policy, situation.classification
        hold_key, log = HOLD_NOTICE, LogAction.HELD
        if classification.has(Label.URGENT):
            if classification.urgent_reason is None:
                hold_key, log = "urgent.no_reason", LogAction.URGENT_NO_REASON
            elif state.urgent_uses_this_week >= policy.urgent_quota_per_week:
                hold_key, log = "urgent.over_quota", LogAction.URGENT_OVER_QUOTA
            else:
                return Claim(Fate.KEPT, LogAction.URGENT_PASSED)
        release_at = release_time(situation)
        if situation.enforcing and is_plain_ack(situation):
            return self._plain_ack(situation, state, release_at)
        period, told = period_key(release_at), state.told_this_period
        params = _reason_params(situation.quiet)
        params["release_at"] = period  # the period's key is the time it ends: release_at's
        params["quota"] = str(policy.urgent_quota_per_week)
        if situation.mode is Mode.ADVISE:
            advice = tell_once(Audience.SENDER, ADVISE_NOTICE, params, period, told)
            return Claim(Fate.KEPT, LogAction.ADVISED, advice)
        if hold_key in ONCE_PER_PERIOD:
            notices = tell_once(Audience.SENDER, hold_key, params, period, told)
        else:
            # A refusal of an urgent marker is told every time: each one is a new attempt.
            notices = (Tell(Audience.SENDER, hold_key, params),)
        return Claim(Fate.HELD, log, (Hold(release_at, released_as(situation)), *notices))

    def _plain_ack(self, situation: Situation, state: HoldingState, release_at: datetime) -> Claim:
        """An acknowledgement the acknowledgement rules did not take. Of a message that stays
        in the group it stays too, as it would in work time: held, it would be posted again in
        the morning. Of a held message, or of nothing, it is held (removed) and left out of the
        digest, which says how many it left out; its sender is not told it will be posted."""
        reply = situation.message.reply_to
        if reply is not None and not state.replied_is_held:
            return Claim(Fate.KEPT, LogAction.PASSED)
        return Claim(Fate.HELD, LogAction.HELD, (Hold(release_at, Released(left_out=True)),))

    def _edit(self, situation: Situation, state: HoldingState) -> Claim | None:
        """Edits never hold anything; adding a marker and a reason to a held message releases it."""
        if not state.message_is_held or not _has_urgent_reason(situation):
            return None
        if state.urgent_uses_this_week >= situation.policy.urgent_quota_per_week:
            return None
        return Claim(
            Fate.RELEASED, LogAction.RELEASED_BY_EDIT, (ReleaseEdited(released_as(situation)),)
        )

    def react(
        self, situation: Situation, state: HoldingState, outcome: Outcome
    ) -> tuple[Effect, ...]:
        return ()


RULES = HoldingRules()
