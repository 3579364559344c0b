"""How the bot finds the stored requests a new one may duplicate, across every group, in the
window: the earliest few under each query key first, the rest only when no match is surely
among those."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.duplicates import store
from policies.duplicates import DataRequest, fingerprint
from policies.features.duplicates import DuplicateRules


@dataclass(frozen=True, slots=True)
class Comparable:
    """The stored requests a new one is compared with, oldest first; the pairs admins rejected
    with it; those of the candidates its sender posted in its group."""

    candidates: Sequence[DataRequest]
    rejected: frozenset[frozenset[str]]
    own: frozenset[int]


class Lookup:
    def __init__(self, rules: DuplicateRules) -> None:
        self._rules = rules
        self._rejections: dict[str, set[frozenset[str]]] | None = None

    async def comparable(
        self,
        session: AsyncSession,
        request: DataRequest,
        sent_at: datetime,
        chat_id: int,
        sender_id: int | None,
    ) -> Comparable:
        """What to compare `request` (posted by `sender_id` in `chat_id`) with. The earliest
        PAGE of each key are read first; the earliest match among those sent up to the horizon
        is the earliest of all, so only when there is none are the rest (up to PER_KEY a key)
        read."""
        since, until = store.window_bounds(sent_at, self._rules.window)
        rejected = await self._rejected_with(session, request)
        first, horizon = await store.candidates(session, request, since, until, store.PAGE)
        if horizon is not None:
            surely_earliest = first.until(horizon)
            own = surely_earliest.posted_by(chat_id, sender_id)
            if self._rules.earlier(request, surely_earliest, rejected, own) is None:
                first, _ = await store.candidates(session, request, since, until)
            else:
                first = surely_earliest
        return Comparable(first, rejected, first.posted_by(chat_id, sender_id))

    async def _rejected_with(
        self, session: AsyncSession, request: DataRequest
    ) -> frozenset[frozenset[str]]:
        """The rejected pairs with this request's wording. All are read once and kept: only
        the admins' presses on the instance that leads add to them."""
        if self._rejections is None:
            self._rejections = {}
            for pair in await store.rejected_pairs(session):
                self.rejected(pair)
        return frozenset(self._rejections.get(fingerprint(request), ()))

    def rejected(self, pair: frozenset[str]) -> None:
        """An admin rejected this pair just now (its row is committed)."""
        if self._rejections is None:
            return  # read with the others on first use
        for wording in pair:
            self._rejections.setdefault(wording, set()).add(pair)
