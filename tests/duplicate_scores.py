"""Duplicate-pair precision, recall and F1 of `jianfu classify` over a labelled JSON-lines file.

Gold pairs: every two lines of one dup_group. Predicted pairs: every two lines joined by
duplicate_of links (a chain A <- B <- C claims all three pairs, as a reader of the links would).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any

from bot.classify_cli import run_classify


@dataclass(frozen=True)
class PairScore:
    gold: int
    true_positives: int
    false_positives: int
    false_negatives: int
    near_misses_matched: int

    @property
    def precision(self) -> float:
        claimed = self.true_positives + self.false_positives
        return self.true_positives / claimed if claimed else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def line(self, name: str) -> str:
        return (
            f"{name}: {self.gold} gold pairs, P {self.precision:.3f} R {self.recall:.3f} "
            f"F1 {self.f1:.3f} (tp {self.true_positives}, fp {self.false_positives}, "
            f"fn {self.false_negatives}, near misses matched {self.near_misses_matched})"
        )


def _pairs(groups: dict[Any, list[str]]) -> set[frozenset[str]]:
    return {frozenset(pair) for ids in groups.values() for pair in itertools.combinations(ids, 2)}


def score_file(path: Path, now: datetime) -> PairScore:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    fields = ("id", "text", "sent_at")
    lines = "".join(
        json.dumps({k: row[k] for k in fields if k in row}, ensure_ascii=False) + "\n"
        for row in rows
    )
    out = StringIO()
    run_classify(StringIO(lines), out, StringIO(), now)
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent.get(item, item) != item:
            item = parent[item]
        return item

    results = [json.loads(line) for line in out.getvalue().splitlines()]
    for result in results:
        if "duplicate_of" in result:
            parent[root(result["id"])] = root(result["duplicate_of"])
    clusters: dict[str, list[str]] = defaultdict(list)
    for result in results:
        clusters[root(result["id"])].append(result["id"])
    gold_groups: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        if row.get("dup_group"):
            gold_groups[row["dup_group"]].append(row["id"])
    gold, predicted = _pairs(gold_groups), _pairs(clusters)
    near = {
        frozenset((row["id"], other))
        for row in rows
        if row.get("near_miss_of")
        for other in gold_groups[row["near_miss_of"]]
    }
    return PairScore(
        gold=len(gold),
        true_positives=len(gold & predicted),
        false_positives=len(predicted - gold),
        false_negatives=len(gold - predicted),
        near_misses_matched=len(near & predicted),
    )
