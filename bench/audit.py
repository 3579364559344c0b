"""jianfu audit on a generated Telegram Desktop export of at least 1 GB: messages/s, peak RSS.

The export is a month-by-month work group written as tdesktop writes it (indented, \\xHH
escapes, entity lists, service entries, deleted accounts), with texts from the development
corpus plus a running number, so that most texts are new to the classifier's cache (a real
group repeats only its 收到). It is written to a temporary folder and deleted afterwards; the
audit runs in a process of its own, so that its peak RSS is its own: once in one process, and
once in one per CPU (their RSS each, and together at most).
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.features.supervision.audit import available_processes
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


def audit_in_child(path: Path, jobs: int) -> Audited:
    code = (
        "import sys, time, resource\n"
        "from bot.cli import main\n"
        "started = time.perf_counter()\n"
        "code = main(['audit', sys.argv[1], '--format', 'json', '--out', sys.argv[2],"
        " '--jobs', sys.argv[3]])\n"
        "elapsed = time.perf_counter() - started\n"
        "me = resource.getrusage(resource.RUSAGE_SELF)\n"
        "workers = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "cpu = me.ru_utime + me.ru_stime + workers.ru_utime + workers.ru_stime\n"
        "print(code, elapsed, cpu, me.ru_maxrss, workers.ru_maxrss)\n"
    )
    out = path.with_suffix(".report.json")
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(out), str(jobs)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "JIANFU_CONFIG": ""},
    )
    _, elapsed, cpu, rss_kb, worker_kb = done.stdout.split()
    report = json.loads(out.read_text())
    return Audited(
        jobs, float(elapsed), float(cpu), int(report["messages"]), int(rss_kb), int(worker_kb)
    )


@dataclass(frozen=True)
class Audited:
    jobs: int
    elapsed: float
    cpu: float  # seconds of CPU, all processes together
    messages: int
    rss_kb: int  # the parent's peak
    worker_kb: int  # the largest worker's peak (0: no worker)

    def line(self, size: int) -> str:
        rate = self.messages / self.elapsed
        peak = max(self.rss_kb, self.worker_kb) / 1024
        together = (self.rss_kb + self.jobs * self.worker_kb) / 1024
        workers = f"; {self.jobs} processes, at most {together:.0f} MB together"
        speed = "met" if rate >= GOAL_PER_SECOND else "missed"
        memory = "met" if peak <= GOAL_RSS_MB else "missed"
        return (
            f"   audit  --jobs {self.jobs}: {self.messages:,} messages in {self.elapsed:.1f} s: "
            f"{rate:,.0f} messages/s (goal ≥ {GOAL_PER_SECOND:,}: {speed}), "
            f"{size / self.elapsed / 1e6:.0f} MB/s, {self.messages / self.cpu:,.0f} messages per "
            f"CPU second; peak RSS {peak:.0f} MB per process (goal ≤ {GOAL_RSS_MB}: {memory})"
            + (workers if self.worker_kb else "")
        )


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
        print(f"   ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})", flush=True)
        for jobs in sorted({1, available_processes()}):
            print(audit_in_child(path, jobs).line(size), flush=True)
