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
class Hold(Effect):
    """Store the message, remove it from the group, post it again at `release_at`."""

    release_at: datetime


@dataclass(frozen=True, slots=True)
class ReleaseEdited(Effect):
    """An edit gave a held message a marker and a reason: post it now, as it reads now."""


@dataclass(frozen=True, slots=True)
class HoldingState:
    urgent_uses_this_week: int = 0  # the sender's urgent passes in this group since Monday
    message_is_held: bool = False  # for edits: the edited message is held right now
    told_this_period: frozenset[str] = frozenset()  # ONCE_PER_PERIOD keys the sender heard


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
        return Claim(Fate.HELD, log, (Hold(release_at), *notices))

    def _edit(self, situation: Situation, state: HoldingState) -> Claim | None:
        """Edits never hold anything; adding a marker and a reason to a held message releases it."""
        if not state.message_is_held or not _has_urgent_reason(situation):
            return None
        if state.urgent_uses_this_week >= situation.policy.urgent_quota_per_week:
            return None
        return Claim(Fate.RELEASED, LogAction.RELEASED_BY_EDIT, (ReleaseEdited(),))

    def react(
        self, situation: Situation, state: HoldingState, outcome: Outcome
    ) -> tuple[Effect, ...]:
        return ()


RULES = HoldingRules()
