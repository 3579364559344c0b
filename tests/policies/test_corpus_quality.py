"""Per-label precision, recall and F1 of the classifier on the shared labelled corpus."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pytest
import pytz

from policies.classifier import classify
from policies.labels import Label
from tests.corpus import corpus_file

NOW = pytz.timezone("Asia/Shanghai").localize(datetime(2026, 11, 18, 10, 0))


Scores = dict[Label, tuple[float, float, float]]
# Sets labelled before proof_demand existed (the shared corpus says so of itself) are scored on
# the labels they carry.
LABELS_BEFORE_PROOF = tuple(label for label in Label if label is not Label.PROOF_DEMAND)


def quality_table(
    rows: list[dict[str, Any]], labels: Iterable[Label] = tuple(Label)
) -> tuple[Scores, str]:
    """(precision, recall, F1) per label in `labels`, and the same as a printable table."""
    counts = {label: [0, 0, 0] for label in labels}  # true positive, false positive, false negative
    for row in rows:
        got = classify(row["text"], NOW).labels
        wanted = {Label(name) for name in row["labels"]}
        for label in counts:
            if label in got and label in wanted:
                counts[label][0] += 1
            elif label in got:
                counts[label][1] += 1
            elif label in wanted:
                counts[label][2] += 1
    scores: Scores = {}
    lines = [f"{'label':<14}{'precision':>10}{'recall':>8}{'F1':>7}{'tp':>5}{'fp':>4}{'fn':>4}"]
    for label, (tp, fp, fn) in counts.items():
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = (precision, recall, f1)
        lines.append(f"{label:<14}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{tp:>5}{fp:>4}{fn:>4}")
    macro = sum(f1 for _, _, f1 in scores.values()) / len(scores)
    lines.append(f"{'macro-F1':<14}{macro:>25.3f}   ({len(rows)} messages)")
    return scores, "\n".join(lines)


def test_classifier_quality_on_the_shared_corpus() -> None:
    path = corpus_file()
    if not path.is_file():
        pytest.skip(f"no corpus at {path}; set JIANFU_CORPUS to a messages.jsonl")
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    scores, table = quality_table(rows, LABELS_BEFORE_PROOF)
    print(f"\n{table}")
    ack_precision, ack_recall, _ = scores[Label.ACK]
    macro = sum(f1 for _, _, f1 in scores.values()) / len(scores)
    assert ack_precision >= 0.995, table
    assert ack_recall >= 0.95, table
    assert macro >= 0.95, table
