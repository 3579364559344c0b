"""The audit of a Telegram Desktop export: every group message replayed in its chat, in file
order, and counted; in one process, or in several that share the work by time.

Several processes: the export's time span is cut into as many stretches as processes. Every
process reads the whole file (reading is cheap beside classifying and deciding), replays only
the messages of its own stretch of each chat's history, and before them those of the WARM_UP
before it, so that its chats start in the state they would have had. A chat's message belongs
to the stretch its latest time so far falls in, so stretches follow the file's order even where
times go backwards. The stretches are merged in order; where a process's starting state of a
chat differs from the state the previous stretch ended in (ReplayState, as of the first message
that could still see it), that chat's stretch is replayed again from the true state. The report
is therefore the one a single process makes, only sooner.

Data requests are matched across chats, in the file's order: each process writes the requests
its stretch would have stored to a file of its own, with their place in the file, and the
parent hands them, merged in that order, to one matcher (ReplayedRequests), as a single
process does as it goes.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
import multiprocessing
import os
import pickle
import re
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.edge.desktop_export import ExportSummary, read_export
from bot.features.supervision.csv_log import CsvLog
from bot.platform.settings import DuplicateSettings
from policies.datakey import default_lexicon
from policies.group_policy import GroupPolicy
from policies.message import ChatMessage
from policies.replay import (
    ChatReplay,
    ReplayedRequests,
    ReplayState,
    RequestReading,
    SeenRequest,
    replay_message,
    replay_state,
)
from policies.supervision import GroupInfo, ReportBuilder, Source

WARM_UP = timedelta(days=21)
"""Replayed before a stretch and not counted: three times the longest that anything stays open
(an acknowledgement window, a roll-call, an urgent quota's week)."""
PARALLEL_FROM_BYTES = 64 * 1024 * 1024
"""Smaller exports are audited in one process: starting more would not pay."""
_EDGE_BYTES = 1 << 20
_DATE = re.compile(rb'"date_unixtime": "([0-9]+)"')
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Stretches:
    """How the history is shared: stretch k holds the messages whose chat's latest time so far
    lies in [starts[k-1], starts[k]) (the first and the last stretch are open-ended)."""

    starts: tuple[datetime, ...]
    warm_up: timedelta = WARM_UP

    @property
    def count(self) -> int:
        return len(self.starts) + 1

    def of(self, latest: datetime) -> int:
        return bisect.bisect_right(self.starts, latest)


ONE_STRETCH = Stretches(())


@dataclass(slots=True)
class _ChatTrack:
    """One chat as one process sees it: its replay, and where its own stretch began and ended."""

    replay: ChatReplay
    latest: datetime | None = None
    start: ReplayState | None = None  # the state before the first message of the stretch
    start_seen: datetime = _FAR_FUTURE  # the earliest time sent from that message on
    end_seen: datetime = _FAR_FUTURE  # the earliest time sent after the stretch's last message


@dataclass
class AuditPart:
    """What one process found: its stretch's figures, and each chat's states at its ends."""

    builder: ReportBuilder
    names: dict[int, str]
    members: dict[int, set[int]]
    starts: dict[int, tuple[ReplayState, datetime]]  # chat -> state at the start, as of when
    ends: dict[int, tuple[ChatReplay, datetime]]  # chat -> replay at the end, as of when
    count: int = 0
    summary: ExportSummary | None = None
    requests: Path | None = None  # the data requests it would have stored, with their places


_Piece = tuple[AuditPart, frozenset[int]]
"""A part of the audit and the chats whose figures are taken from it."""


class Audit:
    """Each message of one stretch (all of them, by default) replayed in its chat and counted;
    rows written as they come for CSV."""

    def __init__(
        self,
        policy: GroupPolicy,
        csv: CsvLog | None = None,
        stretches: Stretches = ONE_STRETCH,
        share: int = 0,
        seeds: Mapping[int, ChatReplay] | None = None,
        requests: RequestReading | None = None,
    ) -> None:
        """`seeds`: replay only these chats, each from the state given (no warm-up);
        `requests`: where the data requests of the stretch go."""
        self.policy = policy
        self.builder = ReportBuilder(Source.EXPORT)
        self.tracks: dict[int, _ChatTrack] = {}
        self.names: dict[int, str] = {}
        self.csv = csv
        self.count = 0
        self._stretches = stretches
        self._share = share
        self._seeds = seeds
        self._requests = requests
        self._from = stretches.starts[share - 1] - stretches.warm_up if share else None

    def message(self, message: ChatMessage) -> None:
        self.count += 1
        chat_id = message.chat.id
        track = self.tracks.get(chat_id)
        if track is None:
            if self._seeds is not None and chat_id not in self._seeds:
                return
            seed = self._seeds[chat_id] if self._seeds is not None else None
            track = self.tracks[chat_id] = _ChatTrack(seed or ChatReplay.start(self.policy))
        sent_at = message.sent_at
        track.start_seen = min(track.start_seen, sent_at)
        track.end_seen = min(track.end_seen, sent_at)
        if self._stretches.count > 1:
            track.latest = sent_at if track.latest is None else max(track.latest, sent_at)
            stretch = self._stretches.of(track.latest)
            if stretch != self._share:
                warm = self._seeds is None and self._from is not None and track.latest >= self._from
                if stretch < self._share and warm:
                    replay_message(track.replay, message)
                return
        if track.start is None:
            track.start, track.start_seen = replay_state(track.replay), sent_at
            title = message.chat.title or str(chat_id)
            self.builder.group(GroupInfo(chat_id, title, self.policy))
        track.end_seen = _FAR_FUTURE
        entry = replay_message(track.replay, message, self._requests)
        if entry is None:
            return
        self.builder.add(entry)
        name = message.sender_name
        if entry.sender_id is not None and name:
            self.names[entry.sender_id] = name
        if self.csv is not None:
            self.csv.row(entry, message.chat.title or "", name, self.policy.timezone)

    def part(self, summary: ExportSummary | None = None) -> AuditPart:
        counted = {chat_id: t for chat_id, t in self.tracks.items() if t.start is not None}
        return AuditPart(
            builder=self.builder,
            names=self.names,
            members={chat_id: t.replay.senders for chat_id, t in counted.items()},
            starts={c: (t.start, t.start_seen) for c, t in counted.items() if t.start is not None},
            ends={chat_id: (t.replay, t.end_seen) for chat_id, t in counted.items()},
            count=self.count,
            summary=summary,
        )

    def finish(self) -> ReportBuilder:
        """The builder, each group's members (the senders seen) set."""
        for chat_id, track in self.tracks.items():
            if self.builder.knows(chat_id):
                self.builder.set_members(chat_id, len(track.replay.senders))
        return self.builder


def replayed_requests(settings: DuplicateSettings) -> ReplayedRequests:
    """The matcher across chats, with the configured objects and window."""
    lexicon = default_lexicon().with_objects(settings.objects)
    return ReplayedRequests.start(lexicon, settings.window)


def count_duplicates(builder: ReportBuilder, requests: ReplayedRequests) -> None:
    for chat_id, linked in requests.linked.items():
        builder.add_duplicates(chat_id, linked)


# ---- several processes -------------------------------------------------------------------------


def stretches_for(path: Path, processes: int) -> Stretches | None:
    """Stretches of equal time between the export's first and last dates (read from its first
    and last megabyte); None when they cannot be found."""
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(_EDGE_BYTES)
        file.seek(max(0, size - _EDGE_BYTES))
        tail = file.read(_EDGE_BYTES)
    dates = [int(m[1]) for m in _DATE.finditer(head)] + [int(m[1]) for m in _DATE.finditer(tail)]
    if len(dates) < 2 or processes < 2:
        return None
    first, last = min(dates), max(dates)
    if last <= first:
        return None
    step = (last - first) / processes
    starts = tuple(datetime.fromtimestamp(first + step * k, UTC) for k in range(1, processes))
    return Stretches(starts)


@dataclass(frozen=True, slots=True)
class _Job:
    path: Path
    policy: GroupPolicy
    stretches: Stretches
    share: int
    duplicates: DuplicateSettings
    requests: Path  # where the stretch's data requests are written
    seeds: dict[int, ChatReplay] | None = None


_progress: Any = None
"""Shared with the parent for its progress bar: each process's bytes read, then each one's
messages seen."""


def _init(progress: Any) -> None:
    global _progress
    _progress = progress


def audit_part(job: _Job) -> AuditPart:
    """One process's audit of the whole file, counting its share."""
    slots, processes = _progress, job.stretches.count
    matcher = replayed_requests(job.duplicates)
    with job.path.open("rb") as stream, job.requests.open("wb") as requests:

        def found(seen: SeenRequest) -> None:
            pickle.dump((audit.count, seen), requests, pickle.HIGHEST_PROTOCOL)

        reading = RequestReading(matcher.lexicon, matcher.rules, found)
        audit = Audit(job.policy, None, job.stretches, job.share, job.seeds, reading)

        def read(amount: int) -> None:
            if slots is not None:
                slots[job.share] += amount
                slots[processes + job.share] = audit.count

        summary = read_export(stream, audit.message, read, name=str(job.path))
    return dataclasses.replace(audit.part(summary), requests=job.requests)


def _requests_of(part: AuditPart, chats: Collection[int]) -> Iterator[tuple[int, SeenRequest]]:
    """The data requests `part` wrote for `chats`, each with its place in the file."""
    assert part.requests is not None
    with part.requests.open("rb") as file:
        while True:
            try:
                place, seen = pickle.load(file)
            except EOFError:
                return
            if seen.chat_id in chats:
                yield place, seen


def _merged(
    parts: list[AuditPart],
    policy: GroupPolicy,
    rerun: Callable[[int, dict[int, ChatReplay]], AuditPart],
) -> tuple[ReportBuilder, dict[int, str], dict[int, set[int]], list[_Piece]]:
    """The stretches' figures in order; a chat whose stretch started from another state than
    the one its previous stretch ended in is replayed again from that state. Last, which part
    counts which chats."""
    builder = ReportBuilder(Source.EXPORT)
    names: dict[int, str] = {}
    members: dict[int, set[int]] = {}
    ends: dict[int, tuple[ChatReplay, datetime]] = {}
    used: list[_Piece] = []
    for share, part in enumerate(parts):
        wrong = {
            chat_id: ends[chat_id][0] if chat_id in ends else None
            for chat_id, (state, seen) in part.starts.items()
            if not _continues(state, seen, ends.get(chat_id))
        }
        kept = [chat_id for chat_id in part.starts if chat_id not in wrong]
        pieces: list[_Piece] = [(part, frozenset(kept))]
        if wrong:
            seeds = {c: replay or ChatReplay.start(policy) for c, replay in wrong.items()}
            pieces.append((rerun(share, seeds), frozenset(wrong)))
        for piece, chats in pieces:
            builder.merge(piece.builder, chats)
            names.update(piece.names)
            for chat_id in chats:
                members.setdefault(chat_id, set()).update(piece.members[chat_id])
                ends[chat_id] = piece.ends[chat_id]
        used.extend(pieces)
    return builder, names, members, used


def _continues(
    state: ReplayState, seen: datetime, previous: tuple[ChatReplay, datetime] | None
) -> bool:
    """Whether a stretch that started in `state` started where the previous one ended."""
    if previous is None:
        return state == ReplayState()
    replay, end_seen = previous
    at = min(seen, end_seen)
    return state.as_of(at, replay.policy) == replay_state(replay).as_of(at, replay.policy)


def parallel_audit(
    path: Path,
    policy: GroupPolicy,
    stretches: Stretches,
    on_progress: Callable[[int, int, int], None] | None = None,
    duplicates: DuplicateSettings | None = None,
) -> tuple[ReportBuilder, dict[int, str], ExportSummary, int]:
    """The audit in `stretches.count` processes: the merged builder (members and duplicate
    requests set), the names, what the export held beside its messages, and the number of
    messages."""
    context = multiprocessing.get_context("fork")
    progress = context.Array("q", 2 * stretches.count, lock=False)
    settings = duplicates or DuplicateSettings()
    with (
        tempfile.TemporaryDirectory(prefix="jianfu-audit-") as folder,
        ProcessPoolExecutor(
            stretches.count, mp_context=context, initializer=_init, initargs=(progress,)
        ) as pool,
    ):
        jobs = [
            _Job(path, policy, stretches, share, settings, Path(folder, f"{share}.pickle"))
            for share in range(stretches.count)
        ]
        futures: list[Future[AuditPart]] = [pool.submit(audit_part, job) for job in jobs]
        _watch(futures, progress, on_progress)
        parts = [future.result() for future in futures]

        def rerun(share: int, seeds: dict[int, ChatReplay]) -> AuditPart:
            again = Path(folder, f"{share}-again.pickle")
            job = dataclasses.replace(jobs[share], seeds=seeds, requests=again)
            return pool.submit(audit_part, job).result()

        builder, names, members, pieces = _merged(parts, policy, rerun)
        requests = replayed_requests(settings)
        streams = [_requests_of(piece, chats) for piece, chats in pieces]
        for _, seen in heapq.merge(*streams, key=_place):
            requests.see(seen)
    count_duplicates(builder, requests)
    for chat_id, senders in members.items():
        builder.set_members(chat_id, len(senders))
    summary = parts[0].summary
    assert summary is not None
    return builder, names, summary, parts[0].count


def _place(found: tuple[int, SeenRequest]) -> int:
    return found[0]


def _watch(
    futures: list[Future[AuditPart]],
    progress: Any,
    on_progress: Callable[[int, int, int], None] | None,
) -> None:
    """Until every process is done, tell `on_progress` how far the slowest is: bytes read,
    messages seen, and the number of processes."""
    pending = set(futures)
    while pending:
        done = {f for f in pending if f.done()}
        if any(f.exception() is not None for f in done):
            error = next(f.exception() for f in done if f.exception() is not None)
            assert error is not None
            raise error
        pending -= done
        if on_progress is not None:
            count = len(futures)
            on_progress(min(progress[:count]), min(progress[count:]), count)
        if pending:
            wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)


def available_processes() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
