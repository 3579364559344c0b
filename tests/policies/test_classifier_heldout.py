"""Per-label quality on a held-out set written apart from the corpus, to watch generalisation.

tests/data/heldout_messages.jsonl holds work-group messages that are neither corpus lines nor
their paraphrases, written in six batches; each batch was scored before any rule was changed
for it. The rules have since been improved on all of them, so the floors (a little below the
figures reached) guard against regressions; a new unseen batch is what measures generalisation.
"""

from __future__ import annotations

import json
from pathlib import Path

from policies.classifier import classify
from policies.labels import Label
from tests.policies.test_corpus_quality import NOW, quality_table

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "heldout_messages.jsonl"


def test_classifier_quality_on_the_heldout_set() -> None:
    rows = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line]
    scores, table = quality_table(rows)
    exact = sum(classify(row["text"], NOW).labels == set(row["labels"]) for row in rows)
    table += f"\n{'exact-match':<14}{exact / len(rows):>25.3f}"
    print(f"\n{table}")
    ack_precision, _, _ = scores[Label.ACK]
    macro = sum(f1 for _, _, f1 in scores.values()) / len(scores)
    assert ack_precision == 1.0, table
    assert macro >= 0.98, table
    assert exact / len(rows) >= 0.97, table
