"""What the classifier says about one message: frozen data shared by classifier and decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from policies.labels import Label


@dataclass(frozen=True, slots=True)
class RollCallEntry:
    number: int | None
    name: str
    extra: str = ""


@dataclass(frozen=True, slots=True)
class RollCall:
    title: str
    entries: tuple[RollCallEntry, ...]


@dataclass(frozen=True, slots=True)
class Classification:
    labels: frozenset[Label]
    why: tuple[str, ...] = ()  # which rule fired, one "label:rule" string per reason
    urgent_marker: str | None = None  # the declared marker, when the message carries one
    urgent_reason: str | None = None  # text after the marker; None when the marker has no reason
    instant_reply: bool = False  # demands a reply within minutes (秒回, 10分钟内回复, 速回)
    opens_with_ack: bool = False  # "收到,但第三行有误": acknowledges, then says more (not an ack)
    rollcall: RollCall | None = None
    deadline: datetime | None = None  # for data requests, aware, in the zone of `now`

    def has(self, label: Label) -> bool:
        return label in self.labels
