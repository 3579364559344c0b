"""Whether a data request asks for the same data as an earlier one, and how to find candidates.

The rule, in order: requests further apart than the window, or about different periods, or about
different named units never match. The same attachment (Telegram's file_unique_id) is the same
request. Otherwise they match when they name the same data objects in a compatible form (a list
and a count of the same people are one request; photos and a list are not), when their template
headers agree, or when one is a near-verbatim repost of the other — the last two only when the
objects do not contradict. Candidates are found by lookup keys, short strings a store can index.
"""

from __future__ import annotations

import bisect
import hashlib
import heapq
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from rapidfuzz.fuzz import ratio

from policies.datakey import (
    DataKey,
    Lexicon,
    Period,
    asks_for_data,
    asks_something,
    data_key,
    kinds_in,
    request_body,
)

DEFAULT_WINDOW = timedelta(days=90)
NEAR_VERBATIM = 90.0  # rapidfuzz ratio (0-100) of two compact texts that makes a repost
HEADERS_AGREE = 0.8  # share of header cells two templates have in common (Jaccard)
_NOT_WORD = re.compile(r"[\W_]+")
_CLAUSES = re.compile(r"[,.;!?，。；！？\n]")
_COMPARED_CHARS = 4000
_CLAUSE_KEY_LENGTH = 8  # shorter clauses (请各村报送) are shared by too many requests
_HEADER_NOISE = re.compile(r"[\W_]+|必填|选填|可选")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a request: its file_unique_id and, for a table, its header cells."""

    unique_id: str
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataRequest:
    """What the matcher knows of one data request; `id` is the caller's (message row, input id)."""

    id: Any
    sent_at: datetime
    key: DataKey
    text: str
    attachment: Attachment | None = None
    lookup: frozenset[str] = field(default=frozenset(), compare=False)


def fingerprinted(labels: Collection[str], request: DataRequest, text: str) -> bool:
    """Whether a message is a data request the matcher keeps: labelled so, or asking for data
    objects in so many words (各村把…名单报来) where the labels missed it.

    A 接龙 reposted is the roll-call's to merge, not a second request for its data.
    """
    if "rollcall" in labels or "ack" in labels:
        return False
    return "data_request" in labels or asks_for_data(text, request.key)


def may_be_fingerprinted(labels: Collection[str], text: str) -> bool:
    """Whether `fingerprinted` may hold for a message, known before its key is read (which
    costs far more): labelled a data request, or worded as a request at all."""
    if "rollcall" in labels or "ack" in labels:
        return False
    return "data_request" in labels or asks_something(text)


def compact_text(text: str) -> str:
    """The request's words without sender, forward marker, punctuation or spaces: for reposts.

    Cut at a length no request reaches, so comparing two pasted books stays cheap.
    """
    return _NOT_WORD.sub("", request_body(text))[:_COMPARED_CHARS]


def header_cells(cells: Iterable[str]) -> tuple[str, ...]:
    """Header cells as compared: normalised, without punctuation and 必填 marks, empty ones out."""
    from policies.normalize import normalize

    cleaned = (_HEADER_NOISE.sub("", normalize(cell).lower()) for cell in cells)
    return tuple(cell for cell in cleaned if cell)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def fingerprint(request: DataRequest) -> str:
    """A request's wording as a short stable string: the unit of remembered rejections."""
    return "t:" + _digest(request.text)


def _in_period(key: str, period: Period | None) -> str:
    """A key within one period ("-": naming none): where the requests compatible with that
    period are kept. Its kind's letter, "@", a digest: "o@5f0e…"."""
    label = "-" if period is None else f"{period.unit}:{period.start.isoformat()}"
    return f"{key[0]}@{_digest(f'{key}|{label}')}"


def _own_keys(request: DataRequest, original_text: str) -> set[str]:
    """t: its exact wording, o: its objects, c: its longest clause (a repost with a line added),
    f: its attachment, h: its template's header cells."""
    keys = {fingerprint(request)}
    if request.key.objects:
        keys.add("o:" + _digest(request.key.object_key))
    clauses = (_NOT_WORD.sub("", clause) for clause in _CLAUSES.split(request_body(original_text)))
    longest = max(clauses, key=len)
    if len(longest) >= _CLAUSE_KEY_LENGTH:
        keys.add("c:" + _digest(longest))
    if request.attachment is not None:
        keys.add("f:" + request.attachment.unique_id)
        if len(request.attachment.headers) >= 2:
            keys.add("h:" + _digest("|".join(sorted(set(request.attachment.headers)))))
    return keys


def lookup_keys(request: DataRequest, original_text: str) -> frozenset[str]:
    """The short strings under which a request is stored: each of its own keys (see _own_keys)
    as it is, and within its period. A candidate is stored under one of the new request's
    query_keys."""
    own = _own_keys(request, original_text)
    return frozenset(own | {_in_period(key, request.key.period) for key in own})


def query_keys(request: DataRequest) -> frozenset[str]:
    """The keys to look under for `request`'s candidates (its objects', file's and template's
    when it names objects, else its words' too). Requests about different periods
    never match, so one that names a period looks only among those of its period and those
    naming none (each own key within both), one that names none among all (its own keys as
    they are). So the earliest rows a store keeps under a key may match: not a season of
    other weeks' reports in the same words.
    """
    own = {key for key in request.lookup if key[1] == ":"}
    if request.key.objects:
        # A request naming objects matches another in its words only when it names the same
        # objects (different ones contradict), so its objects' key finds those already.
        own -= {key for key in own if key[0] in "tc"}
    period = request.key.period
    if period is None:
        return frozenset(own)
    return frozenset(_in_period(key, p) for key in own for p in (period, None))


def data_request(
    request_id: Any,
    text: str,
    sent_at: datetime,
    lexicon: Lexicon | None = None,
    attachment: Attachment | None = None,
    attachment_title: str = "",
) -> DataRequest:
    """A request as the matcher sees it; `sent_at` in the group's zone (periods are local).

    The attachment's title row and file name, when given, count as words of the request.
    """
    key = data_key(f"{text}\n{attachment_title}" if attachment_title else text, sent_at, lexicon)
    made = DataRequest(
        id=request_id, sent_at=sent_at, key=key, text=compact_text(text), attachment=attachment
    )
    return replace(made, lookup=lookup_keys(made, text))


def _periods_compatible(a: Period | None, b: Period | None) -> bool:
    return a is None or b is None or a == b


def _disjoint(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and a.isdisjoint(b)


def _objects_contradict(a: DataKey, b: DataKey) -> bool:
    return bool(a.objects) and bool(b.objects) and a.objects != b.objects


def _headers_agree(a: Attachment | None, b: Attachment | None) -> bool:
    if a is None or b is None or len(a.headers) < 2 or len(b.headers) < 2:
        return False
    first, second = set(a.headers), set(b.headers)
    return len(first & second) / len(first | second) >= HEADERS_AGREE


def is_duplicate(new: DataRequest, earlier: DataRequest, window: timedelta) -> bool:
    """Whether `new` asks for the data `earlier` asked for (see the module's rule)."""
    if abs(new.sent_at - earlier.sent_at) > window:
        return False
    if not _periods_compatible(new.key.period, earlier.key.period):
        return False
    if _disjoint(new.key.scope, earlier.key.scope):
        return False
    if (
        new.attachment is not None
        and earlier.attachment is not None
        and new.attachment.unique_id == earlier.attachment.unique_id
    ):
        return True
    if new.key.objects and new.key.objects == earlier.key.objects:
        return not _disjoint(new.key.kinds, earlier.key.kinds)
    if _objects_contradict(new.key, earlier.key):
        return False
    if _headers_agree(new.attachment, earlier.attachment):
        return True
    return bool(new.text) and ratio(new.text, earlier.text) >= NEAR_VERBATIM


def rejection(first: DataRequest, second: DataRequest) -> frozenset[str]:
    """The remembered form of an admin's "different data": this pair is never proposed again."""
    return frozenset({fingerprint(first), fingerprint(second)})


def _proposable(
    new: DataRequest,
    earlier: DataRequest,
    rejected: Collection[frozenset[str]],
    window: timedelta,
) -> bool:
    return (
        earlier.id != new.id
        and is_duplicate(new, earlier, window)
        and rejection(new, earlier) not in rejected
    )


def first_duplicate(
    new: DataRequest,
    in_time_order: Iterable[DataRequest],
    rejected: Collection[frozenset[str]] = frozenset(),
    window: timedelta = DEFAULT_WINDOW,
) -> DataRequest | None:
    """The first of candidates given oldest first that `new` duplicates (read no further)."""
    return next((e for e in in_time_order if _proposable(new, e, rejected, window)), None)


def duplicate_of(
    new: DataRequest,
    candidates: Iterable[DataRequest],
    rejected: Collection[frozenset[str]] = frozenset(),
    window: timedelta = DEFAULT_WINDOW,
) -> DataRequest | None:
    """The earliest candidate `new` duplicates, never a rejected pair, or None."""
    in_order = sorted(candidates, key=lambda earlier: earlier.sent_at)
    return first_duplicate(new, in_order, rejected, window)


class DuplicateIndex:
    """Requests in memory by lookup key, in time order: what a store's indexed query returns.

    Requests sent at the same time keep the order they were added in (a store's row ids), so
    the earliest of them is the same whichever key it is found under.
    """

    def __init__(self, window: timedelta = DEFAULT_WINDOW, per_key: int = 200) -> None:
        self.window = window
        self.per_key = per_key
        self._buckets: dict[str, list[tuple[datetime, int, DataRequest]]] = {}
        self._added = 0

    def add(self, request: DataRequest) -> None:
        self._added += 1
        entry = (request.sent_at, self._added, request)
        for key in request.lookup:
            bisect.insort(self._buckets.setdefault(key, []), entry, key=_time_and_order)

    def candidates(self, request: DataRequest) -> Iterator[DataRequest]:
        """Stored requests sharing a lookup key, in the window, oldest first: at most `per_key`
        from each key, as `ORDER BY sent_at LIMIT per_key` would give them."""
        slices = []
        since, until = request.sent_at - self.window, request.sent_at + self.window
        for key in query_keys(request):
            if (bucket := self._buckets.get(key)) is not None:
                start = bisect.bisect_left(bucket, (since, 0), key=_time_and_order)
                end = bisect.bisect_right(bucket, (until, self._added + 1), key=_time_and_order)
                slices.append(bucket[start : min(end, start + self.per_key)])
        seen: set[int] = set()
        for _, order, earlier in heapq.merge(*slices, key=_time_and_order):
            if order not in seen:
                seen.add(order)
                yield earlier

    def find(
        self, request: DataRequest, rejected: Collection[frozenset[str]] = frozenset()
    ) -> DataRequest | None:
        """The earliest stored request that `request` duplicates: the first one that does."""
        return first_duplicate(request, self.candidates(request), rejected, self.window)


def _time_and_order(entry: tuple[datetime, int, DataRequest]) -> tuple[datetime, int]:
    return entry[0], entry[1]


# --- what a store keeps ---------------------------------------------------------------------


def stored_form(request: DataRequest) -> dict[str, Any]:
    """A request as JSON-able values (the id stays the store's own column)."""
    key = request.key
    return {
        "objects": sorted(key.objects),
        "period": [key.period.unit, key.period.start.isoformat()] if key.period else None,
        "kinds": sorted(key.kinds),
        "scope": sorted(key.scope),
        "text": request.text,
        "attachment": (
            [request.attachment.unique_id, list(request.attachment.headers)]
            if request.attachment
            else None
        ),
        "lookup": sorted(request.lookup),
    }


def from_stored(request_id: Any, sent_at: datetime, stored: Mapping[str, Any]) -> DataRequest:
    """The request `stored_form` kept, as the matcher needs it."""
    period = stored["period"]
    attachment = stored["attachment"]
    return DataRequest(
        id=request_id,
        sent_at=sent_at,
        key=DataKey(
            objects=frozenset(stored["objects"]),
            period=Period(period[0], date.fromisoformat(period[1])) if period else None,
            kinds=frozenset(stored["kinds"]),
            scope=frozenset(stored["scope"]),
        ),
        text=stored["text"],
        attachment=Attachment(attachment[0], tuple(attachment[1])) if attachment else None,
        lookup=frozenset(stored["lookup"]),
    )


# --- what confirmations teach ---------------------------------------------------------------

_KIND_WORD = re.compile(
    r"名单|花名册|名册|清单|台账|信息表|统计表|登记表|情况表|明细|情况|人数|户数|数量"
)
_PHRASE_START = re.compile(
    r".*(?:报送|上报|报一下|报|统计一下|统计|提供|把|将|汇总|整理|摸排|核对|各[^\W\d_]{1,3}?(?:村|社区|校|单位))"
)
_PHRASE_LENGTH = 16


def object_phrase(text: str) -> str:
    """The words a request uses for what it wants: those before its first list or count word."""
    body = request_body(text)
    for clause in _CLAUSES.split(body):
        kind = _KIND_WORD.search(clause)
        if kind is None:
            continue
        before = clause[: kind.start()]
        start = _PHRASE_START.match(before)
        phrase = before[start.end() :] if start else before
        phrase = phrase.lstrip("本辖区内的了一下")[-_PHRASE_LENGTH:]
        if len(phrase) >= 2:
            return phrase
    return ""


def taught_aliases(
    confirmed: Sequence[str], lexicon: Lexicon, now: datetime
) -> dict[str, tuple[str, ...]]:
    """What an admin's "same data" for these texts teaches: phrase -> the objects of the others.

    A wording whose objects fall short of the confirmed request's becomes an alias of those
    objects, so the next request in that wording is recognised (merge into the lexicon with
    Lexicon.with_aliases).
    """
    keys = [data_key(text, now, lexicon) for text in confirmed]
    richest = max(keys, key=lambda key: len(key.objects))
    taught: dict[str, tuple[str, ...]] = {}
    for text, key in zip(confirmed, keys, strict=True):
        if key.objects == richest.objects:
            continue
        phrase = object_phrase(text)
        if phrase and kinds_in(phrase) == frozenset():
            taught[phrase] = tuple(sorted(name for name in richest.objects if ":" not in name))
    return taught
