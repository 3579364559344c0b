"""接龙 chains: one roll-call per chain, reposts merged into it, and whose line is whose."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from policies.classification import RollCall, RollCallEntry
from policies.decide import Claim, Effect, Fate, LogAction, Outcome, Situation
from policies.features.notices import Audience, Tell
from policies.labels import Label
from policies.message import Person
from policies.normalize import normalize
from policies.rollcall import entry_key, merge_repost

_GENERIC_TOPIC = "接龙"
MERGED_NOTICE = "rollcall.merged"
_NOT_TOPIC = re.compile(r"[\W_]+")


@dataclass(frozen=True, slots=True)
class ListedLine:
    """A line of a roll-call's live list, with the person it belongs to when known."""

    entry_id: int
    name: str
    extra: str = ""
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class OpenRollCall:
    rollcall_id: int
    source_message_id: int
    title: str
    lines: tuple[ListedLine, ...]  # in list order

    @property
    def entries(self) -> tuple[RollCallEntry, ...]:
        """The lines numbered as the live list shows them."""
        return tuple(
            RollCallEntry(number, line.name, line.extra)
            for number, line in enumerate(self.lines, 1)
        )


@dataclass(frozen=True, slots=True)
class RollcallsState:
    open_rollcalls: tuple[OpenRollCall, ...] = ()  # the chat's latest, newest first


@dataclass(frozen=True, slots=True)
class StartRollcall(Effect):
    """A new chain: one roll-call message with a live list; line `owned` is the poster's."""

    chain: RollCall
    owned: int | None


@dataclass(frozen=True, slots=True)
class MergeRollcall(Effect):
    """A repost of a known chain: its new lines added (line `owned` of them is the poster's),
    the lines it leaves out withdrawn where they are the poster's own, the repost removed from
    the group when `delete`."""

    rollcall_id: int
    added: tuple[RollCallEntry, ...]
    owned: int | None
    withdrawn: tuple[int, ...]  # entry ids
    kept: tuple[int, ...]  # entry ids left out by someone else's (maybe older) copy: kept
    delete: bool


def _topic_key(title: str) -> str:
    """A chain's topic ignoring script, emoji, spacing and punctuation."""
    return _NOT_TOPIC.sub("", normalize(title)).lower()


def matching_rollcall(chain: RollCall, rollcalls: Sequence[OpenRollCall]) -> OpenRollCall | None:
    """The open roll-call a posted chain repeats: most of its known entries reappear in it,
    or it has the same topic and some of them (an old copy plus one new line)."""
    best: OpenRollCall | None = None
    best_kept = 0
    for rollcall in rollcalls:
        known = rollcall.entries
        kept = len(known) - len(merge_repost(known, chain).dropped)
        most_kept = kept * 2 >= len(known)
        same_topic = _topic_key(rollcall.title) == _topic_key(chain.title) != _GENERIC_TOPIC
        if (most_kept or same_topic) and kept > best_kept:
            best, best_kept = rollcall, kept
    return best


def is_person(name: str, person: Person) -> bool:
    """Whether a list line names this person (given name, full name either way, or username)."""
    variants = {person.first_name, person.full_name, f"{person.last_name or ''}{person.first_name}"}
    if person.username:
        variants.add(person.username)
    return _name_key(name) in {_name_key(v) for v in variants if v}


def _name_key(name: str) -> str:
    return entry_key(RollCallEntry(None, name))


def owned_line(lines: Sequence[RollCallEntry], poster: Person | None, has_own: bool) -> int | None:
    """Which posted line is the poster's: the first naming them, unless they have one already."""
    if poster is None or has_own:
        return None
    return next((i for i, line in enumerate(lines) if is_person(line.name, poster)), None)


def may_withdraw(line: ListedLine, person_id: int, person: Person | None) -> bool:
    """A line is withdrawn only by its own person: by id, or by name when it has no id yet."""
    if line.user_id is not None:
        return line.user_id == person_id
    return person is not None and is_person(line.name, person)


def line_to_claim(lines: Sequence[ListedLine], person: Person) -> ListedLine | None:
    """A line written for this person by someone else, theirs to claim when they join."""
    return next((ln for ln in lines if ln.user_id is None and is_person(ln.name, person)), None)


def is_listed(lines: Sequence[ListedLine], person_id: int) -> bool:
    return any(line.user_id == person_id for line in lines)


def may_close(
    initiator_id: int | None, chat_id: int, presser_id: int, presser_is_admin: bool
) -> bool:
    """The initiator closes a roll-call; one an anonymous admin started (as the group) any admin."""
    return initiator_id == presser_id or (initiator_id == chat_id and presser_is_admin)


def _find_line(lines: Sequence[ListedLine], dropped: RollCallEntry) -> ListedLine | None:
    """The stored line a diff's entry stands for: by its number in the list, checked by name."""
    key = entry_key(dropped)
    if dropped.number is not None and 0 < dropped.number <= len(lines):
        candidate = lines[dropped.number - 1]
        if _line_key(candidate) == key:
            return candidate
    return next((line for line in lines if _line_key(line) == key), None)


def _line_key(line: ListedLine) -> str:
    return entry_key(RollCallEntry(None, line.name, line.extra))


def _merge(
    situation: Situation, chain: RollCall, rollcall: OpenRollCall, *, delete: bool
) -> MergeRollcall:
    """A posted copy of `rollcall` as the change it makes to its list."""
    diff = merge_repost(rollcall.entries, chain)
    message = situation.message
    withdrawn: list[int] = []
    kept: list[int] = []
    for dropped in diff.dropped:
        line = _find_line(rollcall.lines, dropped)
        if line is None:
            continue
        mine = may_withdraw(line, message.sender_id, message.sender)
        (withdrawn if mine else kept).append(line.entry_id)
    has_own = is_listed(rollcall.lines, message.sender_id)
    return MergeRollcall(
        rollcall.rollcall_id,
        diff.added,
        owned_line(diff.added, message.sender, has_own),
        tuple(withdrawn),
        tuple(kept),
        delete=delete,
    )


def _repeated(situation: Situation, state: RollcallsState) -> tuple[RollCall, OpenRollCall] | None:
    """The chain a new message posts and the open roll-call it repeats, if it does."""
    chain = situation.classification.rollcall
    if situation.message.is_edit or chain is None:
        return None
    if not situation.classification.has(Label.ROLLCALL):
        return None
    rollcall = matching_rollcall(chain, state.open_rollcalls)
    return None if rollcall is None else (chain, rollcall)


class RollcallRules:
    def claim(self, situation: Situation, state: RollcallsState) -> Claim | None:
        repeated = _repeated(situation, state)
        # A copy carrying a photo, a file, a link … is merged too, but never removed (react).
        if repeated is None or situation.message.carries_content:
            return None
        chain, rollcall = repeated
        merge = _merge(situation, chain, rollcall, delete=situation.enforcing)
        if not merge.delete:
            return Claim(Fate.MERGED, LogAction.MERGED, (merge,))
        # The repost disappears: its poster hears why, once per roll-call.
        told = Tell(
            Audience.SENDER,
            MERGED_NOTICE,
            {"title": rollcall.title},
            once_per=f"rollcall:{rollcall.rollcall_id}",
        )
        return Claim(Fate.MERGED, LogAction.MERGED, (merge, told))

    def react(
        self, situation: Situation, state: RollcallsState, outcome: Outcome
    ) -> tuple[Effect, ...]:
        if situation.message.carries_content:
            repeated = _repeated(situation, state)
            if repeated is not None:
                return (_merge(situation, *repeated, delete=False),)
        chain = situation.classification.rollcall
        if not outcome.helped or chain is None or not situation.classification.has(Label.ROLLCALL):
            return ()
        return (StartRollcall(chain, owned_line(chain.entries, situation.message.sender, False)),)


RULES = RollcallRules()
