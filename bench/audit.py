"""jianfu audit on a generated Telegram Desktop export of at least 1 GB: messages/s, peak RSS.

The export is a month-by-month work group written as tdesktop writes it (indented, \\xHH
escapes, entity lists, service entries, deleted accounts), with texts from the development
corpus plus a running number, so that most texts are new to the classifier's cache (a real
group repeats only its 收到). It is written to a temporary folder and deleted afterwards; the
audit runs in a process of its own, so that its peak RSS is its own.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.corpus import corpus_file
from tests.supervision.exports import ExportChat, Message, write_single

TARGET_BYTES = int(os.environ.get("JIANFU_BENCH_AUDIT_BYTES", 1_050_000_000))
GOAL_PER_SECOND = 50_000
GOAL_RSS_MB = 200


def messages(texts: list[str], target: int) -> Iterator[Message]:
    """Messages until about `target` bytes are written (one message is about 430 bytes)."""
    rng = random.Random(14)
    at = datetime(2024, 1, 2, 0, 0, tzinfo=UTC)
    count = target // 430
    for number in range(1, count + 1):
        at += timedelta(seconds=rng.randint(5, 240))
        who = rng.randint(1, 300)
        text = rng.choice(texts)
        if rng.random() < 0.6:
            text = f"{text} {number}"
        if number % 997 == 0:
            text += "\x0b"
        yield Message(
            number,
            at,
            text,
            sender_id=10_000 + who,
            sender_name=None if who == 1 else f"成员{who}",
            service=number % 211 == 0,
        )


def audit_in_child(path: Path) -> tuple[float, int, float]:
    code = (
        "import sys, time, io, resource\n"
        "from bot.cli import main\n"
        "started = time.perf_counter()\n"
        "code = main(['audit', sys.argv[1], '--format', 'json', '--out', sys.argv[2]])\n"
        "elapsed = time.perf_counter() - started\n"
        "rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(code, elapsed, rss)\n"
    )
    out = path.with_suffix(".report.json")
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(out)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "JIANFU_CONFIG": ""},
    )
    _, elapsed, rss_kb = done.stdout.split()
    report = json.loads(out.read_text())
    return float(elapsed), int(report["messages"]), int(rss_kb) / 1024


def run() -> None:
    with corpus_file().open(encoding="utf-8") as lines:
        texts = [json.loads(line)["text"] for line in lines if line.strip()]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "result.json"
        started = time.perf_counter()
        with path.open("w", encoding="utf-8") as out:
            write_single(
                out, ExportChat(1234567890, "生成的工作群", messages=messages(texts, TARGET_BYTES))
            )
        size = path.stat().st_size
        print(f"   export {size / 1e9:.2f} GB written in {time.perf_counter() - started:.0f} s")
        elapsed, count, rss = audit_in_child(path)
    rate = count / elapsed
    print(
        f"   audit  {count:,} messages in {elapsed:.1f} s: {rate:,.0f} messages/s "
        f"(goal ≥ {GOAL_PER_SECOND:,}: {'met' if rate >= GOAL_PER_SECOND else 'missed'}), "
        f"{size / elapsed / 1e6:.0f} MB/s, peak RSS {rss:.0f} MB "
        f"(goal ≤ {GOAL_RSS_MB}: {'met' if rss <= GOAL_RSS_MB else 'missed'})"
    )
