"""Telling people what the bot did: the effect, and the rule that some things are said once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from policies.decide import Effect


class Audience(StrEnum):
    SENDER = "sender"  # privately to the sender (a short group notice when the bot cannot DM)
    GROUP = "group"  # a reply in the group


@dataclass(frozen=True, slots=True)
class Tell(Effect):
    """Say message `key` about the message decided on."""

    audience: Audience
    key: str
    params: Mapping[str, str] = field(default_factory=dict)
    once_per: str | None = None  # the period it is said once in (see period_key); None: always


def period_key(resumes_at: datetime) -> str:
    """A quiet period, named by when it ends."""
    return resumes_at.isoformat()


def tell_once(
    audience: Audience,
    key: str,
    params: Mapping[str, str],
    period: str,
    already_told: frozenset[str],
) -> tuple[Tell, ...]:
    """The notice `key` unless the reader was told it already in `period` (keys told there)."""
    if key in already_told:
        return ()
    return (Tell(audience, key, params, once_per=period),)
