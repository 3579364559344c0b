"""The classifier's work grows linearly with the length of a message (issue 10, item 9).

No clock is read: every compiled pattern the classifier uses is wrapped to count the characters
it is handed to scan. A rule that rescans the text before each match (`search(text, 0, i)` in a
loop) hands over quadratically many; bounded look-behind windows keep the count per character
flat however long the line is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from types import ModuleType
from typing import Any

import pytest
import pytz

from policies import ack, classifier, deadlines, normalize, rollcall, urgency
from policies.classifier import classify

NOW = pytz.timezone("Asia/Shanghai").localize(datetime(2026, 11, 18, 10, 0))
MODULES = (ack, classifier, deadlines, normalize, rollcall, urgency)


class CountingPattern:
    """A compiled pattern that adds the length of every span it scans to a shared total."""

    def __init__(self, pattern: re.Pattern[str], total: list[int]) -> None:
        self._pattern = pattern
        self._total = total

    def _count(self, string: str, pos: int = 0, endpos: int | None = None) -> None:
        end = len(string) if endpos is None else min(endpos, len(string))
        self._total[0] += max(0, end - max(0, pos))

    def search(self, string: str, *args: int) -> re.Match[str] | None:
        self._count(string, *args)
        return self._pattern.search(string, *args)

    def match(self, string: str, *args: int) -> re.Match[str] | None:
        self._count(string, *args)
        return self._pattern.match(string, *args)

    def fullmatch(self, string: str, *args: int) -> re.Match[str] | None:
        self._count(string, *args)
        return self._pattern.fullmatch(string, *args)

    def finditer(self, string: str, *args: int) -> Iterator[re.Match[str]]:
        self._count(string, *args)
        return self._pattern.finditer(string, *args)

    def findall(self, string: str, *args: int) -> list[Any]:
        self._count(string, *args)
        return self._pattern.findall(string, *args)

    def sub(self, repl: Any, string: str, count: int = 0) -> str:
        self._count(string)
        return self._pattern.sub(repl, string, count)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pattern, name)


@pytest.fixture
def scanned(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A running total of characters scanned by every pattern of the classifier's modules."""
    total = [0]
    for module in MODULES:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                monkeypatch.setattr(module, name, CountingPattern(value, total))
    built = urgency.marker_pattern
    monkeypatch.setattr(
        urgency, "marker_pattern", lambda extra=(): CountingPattern(built(extra), total)
    )
    return total


def _clear_caches(module: ModuleType) -> None:
    for value in vars(module).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


# Phrases that start a rule's match over and over: reply demands, sending verbs, report verbs,
# deadlines, denials, urgency markers, list lines.
PHRASES = [
    "收到请回复",
    "请发给",
    "请把名单发给我",
    "不得请回复",
    "截至今天前请报送",
    "统计",
    "回复是否",
    "【紧急】那条",
    "1. 王芳\n",
    "请各村截图发群里",
    "转发朋友圈",
    "不得报送名单",
    "《关于报送名单",
    "各村名单明天交",
    "我们截图发群",
]


def _work_per_character(scanned: list[int], phrase: str, length: int) -> float:
    text = (phrase * (length // len(phrase) + 1))[:length]
    for module in MODULES:
        _clear_caches(module)
    scanned[0] = 0
    classify(text, NOW)
    return scanned[0] / length


@pytest.mark.parametrize("phrase", PHRASES)
def test_work_per_character_does_not_grow_with_length(scanned: list[int], phrase: str) -> None:
    short = _work_per_character(scanned, phrase, 2_000)
    long = _work_per_character(scanned, phrase, 32_000)
    # Quadratic work would scan 16 times as much per character in the longer text.
    assert long <= 1.2 * short + 1, (short, long)
    assert long <= 200, long  # about one pass per pattern, not one per match
