"""`jianfu classify` on one long line: seconds per line as the line grows (issue 10 item 9).

Linear work keeps seconds per 100k characters flat from 25k to 200k; quadratic work doubles it
with each doubling of the length.
"""

from __future__ import annotations

import io
import json
import time
from datetime import UTC, datetime

from bot.classify_cli import run_classify

LENGTHS = (25_000, 50_000, 100_000, 200_000)
SHAPES = {
    "notice": "关于开展冬季消防安全检查的通知，请各村于周五前完成自查，收到请回复。",
    "chain": "周六志愿者报名接龙\n1. 张三\n",
    "request": "请各村把低保对象名单截至11月20日前报送，",
    "ascii": "hello world ",
}
NOW = datetime(2026, 11, 18, 2, tzinfo=UTC)


def run() -> None:
    for name, unit in SHAPES.items():
        figures = []
        for length in LENGTHS:
            text = (unit * (length // len(unit) + 1))[:length]
            line = json.dumps({"id": 1, "text": text}, ensure_ascii=False) + "\n"
            started = time.perf_counter()
            run_classify(io.StringIO(line), io.StringIO(), io.StringIO(), NOW)
            seconds = time.perf_counter() - started
            figures.append(
                f"{length // 1000}k {seconds:.2f} s ({seconds * 100_000 / length:.2f}/100k)"
            )
        print(f"   {name:8} " + ", ".join(figures), flush=True)
