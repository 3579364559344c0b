"""What happens to one group message: each feature's rules, composed in one pure step.

A feature's rules may *claim* the message (absorb it, merge it, hold it, let it pass as urgent
…); the first claim, in the order the rules are given, decides the message's outcome. Then
every feature *reacts* to that outcome with effects of its own (a button, a roll-call, a
reminder …). Effects are typed values carrying message keys and parameters, never text; the
bot hands each to the feature that applies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from policies.calendar import QuietStatus
from policies.classification import Classification
from policies.group_policy import GroupPolicy, Mode
from policies.message import ChatMessage


class Fate(StrEnum):
    """What becomes of the message itself."""

    KEPT = "kept"  # it stays in the group
    HELD = "held"  # removed now, posted again later
    ABSORBED = "absorbed"  # a plain acknowledgement, counted (and removed when enforcing)
    MERGED = "merged"  # a repost of a roll-call, merged into it (and removed when enforcing)
    RELEASED = "released"  # an edit released a held message
    IGNORED = "ignored"  # nothing to do and nothing to log (e.g. a work-time edit)


class LogAction(StrEnum):
    """What the message log records."""

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


# Messages that go through as they should earn the bot's help (a button, a roll-call, a
# reminder); an advised one was posted when it should not have been, and gets only the advice.
_HELPED = frozenset({LogAction.PASSED, LogAction.EXEMPT, LogAction.URGENT_PASSED})


class Effect:
    """Something a decision asks the bot to do; each kind is a frozen dataclass of a feature."""

    __slots__ = ()


E = TypeVar("E", bound=Effect)


def effective_mode(policy: GroupPolicy, bot_can_delete: bool) -> Mode:
    """The mode the bot can actually apply: enforce needs the right to delete messages."""
    if policy.mode is Mode.ENFORCE and not bot_can_delete:
        return Mode.ADVISE
    return policy.mode


@dataclass(frozen=True, slots=True)
class Situation:
    """A message with everything every feature's rules read about it."""

    message: ChatMessage
    classification: Classification
    policy: GroupPolicy
    quiet: QuietStatus  # quiet_status(policy, now)
    now: datetime
    bot_can_delete: bool = True
    sender_is_admin: bool = False  # by the roster; an anonymous admin is one too

    @property
    def mode(self) -> Mode:
        return effective_mode(self.policy, self.bot_can_delete)

    @property
    def enforcing(self) -> bool:
        return self.mode is Mode.ENFORCE

    @property
    def by_admin(self) -> bool:
        return self.sender_is_admin or self.message.is_anonymous_admin


@dataclass(frozen=True, slots=True)
class Claim:
    """A feature's word on the message's fate, with the effects that carry it out."""

    fate: Fate
    log: LogAction | None
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """The fate decided, as every feature reacting to it sees it."""

    fate: Fate
    log: LogAction | None

    @property
    def helped(self) -> bool:
        """It stays in the group as a message should: it earns buttons, roll-calls, reminders."""
        return self.fate is Fate.KEPT and self.log in _HELPED


S = TypeVar("S", contravariant=True)


class Rules(Protocol[S]):
    """One feature's rules over its own state `S` (loaded by the bot, possibly across chats)."""

    def claim(self, situation: Situation, state: S) -> Claim | None:
        """The feature's claim on the message, or None to leave it to the others."""
        ...

    def react(self, situation: Situation, state: S, outcome: Outcome) -> tuple[Effect, ...]:
        """What the feature adds once the outcome is known."""
        ...


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    quiet: QuietStatus
    effects: tuple[Effect, ...] = ()

    @property
    def fate(self) -> Fate:
        return self.outcome.fate

    @property
    def log(self) -> LogAction | None:
        return self.outcome.log

    @property
    def after_hours(self) -> bool:
        return self.quiet.quiet

    def of(self, kind: type[E]) -> tuple[E, ...]:
        """The effects of one kind, in order."""
        return tuple(effect for effect in self.effects if isinstance(effect, kind))


Ruled = tuple[Rules[Any], Any]
"""A feature's rules with the state its loader found for this message."""


def decide(situation: Situation, features: Sequence[Ruled]) -> Decision:
    """The decision on one message (new or edited); `features` in the order their claims rank."""
    quiet = situation.quiet
    message = situation.message
    if not message.is_edit:
        if situation.mode is Mode.OFF:
            return Decision(Outcome(Fate.KEPT, LogAction.MODE_OFF), quiet)
        if message.is_command:
            return Decision(Outcome(Fate.KEPT, None), quiet)
    claim: Claim | None = None
    for rules, state in features:
        claim = rules.claim(situation, state)
        if claim is not None:
            break
    if claim is None:
        claim = _EDIT_UNCLAIMED if message.is_edit else _UNCLAIMED
    outcome = Outcome(claim.fate, claim.log)
    effects = list(claim.effects)
    for rules, state in features:
        effects += rules.react(situation, state, outcome)
    return Decision(outcome, quiet, tuple(effects))


_UNCLAIMED = Claim(Fate.KEPT, LogAction.PASSED)
_EDIT_UNCLAIMED = Claim(Fate.IGNORED, None)
