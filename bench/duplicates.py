"""Duplicate data requests: key extraction per message, and lookup among 100,000 stored requests.

Extraction: data_request (key, compact text, lookup keys) for every data request of the dev
corpus and the held-out pair set, cold (a fresh text each time: a serial number is appended, so
no cache helps). Lookup: 100,000 requests spread over a 90-day window, made from those texts
with other units, periods and times, in a DuplicateIndex; then DuplicateIndex.find for 10,000
new requests (half of them duplicates). Goal: lookup p99 <= 1 ms.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytz

from policies.datakey import default_lexicon
from policies.duplicates import DataRequest, DuplicateIndex, data_request
from tests.corpus import corpus_file

STORED = 100_000
LOOKUPS = 10_000
GOAL_P99_MS = 1.0
HELD_OUT = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "duplicate_pairs_heldout.jsonl"
)
UNITS = ["东山村", "河口村", "新民村", "杨柳村", "石桥村", "幸福里社区", "中心小学", ""]
PERIODS = ["", "2026年度", "今年", "本月", "上季度", "2025年", "三季度", "本周"]


def request_texts() -> list[str]:
    texts = []
    for path in (corpus_file(), HELD_OUT):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if "data_request" in record.get("labels", ["data_request"]):
                texts.append(record["text"])
    return texts


def percentiles(durations: list[int]) -> str:
    cuts = statistics.quantiles(durations, n=100)
    return (
        f"p50 {statistics.median(durations) / 1e3:7.1f} µs  p99 {cuts[98] / 1e3:7.1f} µs  "
        f"max {max(durations) / 1e3:8.1f} µs"
    )


def run() -> None:
    lexicon = default_lexicon()
    texts = request_texts()
    now = pytz.timezone("Asia/Shanghai").localize(datetime(2026, 11, 18, 10, 0))
    clock = time.perf_counter_ns

    started = clock()
    default_lexicon.cache_clear()
    lexicon = default_lexicon()
    print(f"   lexicon load (first use): {(clock() - started) / 1e6:.1f} ms")

    extraction: list[int] = []
    for round_number in range(20):
        for text in texts:
            fresh = f"{text} {round_number}"
            began = clock()
            data_request(0, fresh, now, lexicon)
            extraction.append(clock() - began)
    print(f"   key extraction  {len(extraction):7} messages  {percentiles(extraction)}")

    generator = random.Random(15)
    window = timedelta(days=90)

    def varied(number: int, at: datetime) -> DataRequest:
        text = generator.choice(texts)
        text = f"{generator.choice(UNITS)}：{generator.choice(PERIODS)}{text}"
        return data_request(number, text, at, lexicon)

    index = DuplicateIndex(window)
    building = clock()
    for number in range(STORED):
        at = now - timedelta(seconds=generator.uniform(0, window.total_seconds()))
        index.add(varied(number, at))
    print(f"   index of {STORED:,} requests built in {(clock() - building) / 1e9:.1f} s")

    lookups: list[int] = []
    found = 0
    for number in range(LOOKUPS):
        new = varied(STORED + number, now)
        began = clock()
        match = index.find(new)
        lookups.append(clock() - began)
        found += match is not None
    p99_ms = statistics.quantiles(lookups, n=100)[98] / 1e6
    verdict = "met" if p99_ms <= GOAL_P99_MS else "missed"
    print(
        f"   lookup          {len(lookups):7} requests  {percentiles(lookups)}  "
        f"({found} found a duplicate; goal p99 <= {GOAL_P99_MS} ms: {verdict})"
    )
