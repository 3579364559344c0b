"""`python -m demo --script-only`: the scripted evening runs against the test server with the
real bot, and its transcript shows what each member saw and received privately."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.platform.i18n import text
from demo.clock import DemoClock
from demo.script import CADRES, HELD, START, URGENT

ROOT = Path(__file__).resolve().parents[1]
# A safety net so that a demo which hangs fails the test; never a measure.
PATIENCE_S = 300
VILLAGE, TOWN = "【河东村两委群】", "【青石镇防汛群】"


def zh(key: str, **params: object) -> str:
    return text(key, "zh-Hans", **params)


@pytest.fixture
def transcript(db_url: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "demo", "--script-only", "--port", "0", "--database", db_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=PATIENCE_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ERROR" not in done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout.splitlines()


def section(lines: list[str], heading: str) -> list[str]:
    """The lines under the heading containing `heading`, up to the next heading."""
    (start,) = [n for n, line in enumerate(lines) if line.startswith("══") and heading in line]
    end = next((n for n in range(start + 1, len(lines)) if lines[n].startswith("══")), len(lines))
    return lines[start + 1 : end]


def after(lines: list[str], posted: Callable[[str], bool]) -> list[str]:
    """What followed the one line `posted` picks: the bot's doings, up to the next thing a
    person posted or the next narration."""
    (start,) = [n for n, line in enumerate(lines) if posted(line)]
    end = next(
        (n for n in range(start + 1, len(lines)) if not lines[n].startswith(" " * 8)), len(lines)
    )
    return lines[start + 1 : end]


def listing(lines: list[str], title: str) -> list[str]:
    """The lines under the one line containing `title`, up to a blank line."""
    (start,) = [n for n, line in enumerate(lines) if title in line]
    end = next((n for n in range(start + 1, len(lines)) if not lines[n].strip()), len(lines))
    return [line.strip() for line in lines[start + 1 : end]]


def test_the_scripted_evening_shows_what_each_member_sees(transcript: list[str]) -> None:
    evening = section(transcript, "Wed 18 Nov 2026 17:40")
    asked = [line for line in evening if line.startswith(f"17:40  {VILLAGE}")]
    assert [line.split()[3].rstrip(":") for line in asked] == ["王书记", *CADRES]
    removed = [line for line in evening if f"✂ the bot removes from {VILLAGE}" in line]
    assert [line.split()[6].rstrip(":") for line in removed] == list(CADRES)
    tally = zh("ack.tally", count=10, total=len(CADRES) + 1)
    assert f"        │ {tally}" in evening
    roster = after(evening, lambda line: "✉ to 王书记, privately" in line)
    assert f"        │ {zh('ack.roster.missing', count=1, names='李主任')}" in roster

    rollcall = section(transcript, "Wed 18 Nov 2026 19:00")
    li = after(rollcall, lambda line: f"{TOWN} #5 李娜" in line)
    assert any("✂ the bot removes from" in line and "李娜" in line for line in li)
    assert any("✉ to 李娜, privately" in line for line in li)
    zhao = after(rollcall, lambda line: f"{TOWN} #6 赵强" in line)
    note = zh("rollcall.merged_group", name="赵强")
    assert f"        │ {note}" in zhao
    assert any("removes from" in line and "its own message" in line for line in zhao)
    assert "        │ 3. 赵强" in zhao

    night = section(transcript, "Wed 18 Nov 2026 22:10")
    held = after(night, lambda line: line.startswith(f"22:10  {VILLAGE} #15 李主任: {HELD}"))
    assert held[0].startswith(f"        ✂ the bot removes from {VILLAGE} 李主任")
    assert held[1] == "        🤖 the bot ✉ to 李主任, privately (#3):"
    assert "08:00" in held[2]
    urgent = after(night, lambda line: line.startswith(f"22:40  {TOWN} #8 马镇长: {URGENT}"))
    assert urgent == []  # it passes: nothing removed, nobody told

    morning = section(transcript, "Thu 19 Nov 2026 08:00")
    digest = after(morning, lambda line: f"the bot posts in {VILLAGE} 🔕 silently" in line)
    assert digest[:2] == [
        f"        │ {zh('release.header', count=1)}",
        f"        │ 22:10 李主任:{HELD}",
    ]

    # The groups as their members see them in the morning: no 收到, no reposts, the digest.
    village = listing(morning, f"{VILLAGE} as each of its members sees it")
    assert [line.split(":")[0] for line in village] == [
        "#2 the bot",
        "#3 王书记",
        "#4 the bot",
        "#16 the bot",
    ]
    town = listing(morning, f"{TOWN} as each of its members sees it")
    assert [line.split(":")[0] for line in town] == [
        "#2 the bot",
        "#3 张伟",
        "#4 the bot",
        "#8 马镇长",
    ]
    inbox = listing(morning, "Received privately from the bot")
    assert [line.split(":")[0] for line in inbox[:-1]] == ["王书记", "李主任", "李娜"]
    assert inbox[-1].startswith("nothing: 马镇长、张伟、赵强、")


def test_the_demo_clock_stands_still_until_it_runs_then_keeps_real_time_from_there() -> None:
    seconds = [100.0]
    clock = DemoClock(START, monotonic=lambda: seconds[0])
    seconds[0] += 30
    assert clock.now() == START
    clock.set(START + timedelta(hours=14))
    clock.run()
    seconds[0] += 90
    assert clock.now() == START + timedelta(hours=14, seconds=90)
    clock.set(START)
    seconds[0] += 5
    assert clock.now() == START + timedelta(seconds=5)


class RunningDemo:
    """`python -m demo` left running: its output read line by line as it comes."""

    def __init__(self, database_url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "demo", "--port", "0", "--database", database_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        control = self.expect(lambda line: line.startswith("  Control API: "))[-1]
        self.control = httpx.Client(base_url=control.split()[2], timeout=PATIENCE_S)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def expect(self, wanted: Callable[[str], bool]) -> list[str]:
        """The lines written up to the first one `wanted` picks."""
        lines: list[str] = []
        while not lines or not wanted(lines[-1]):
            lines.append(self._lines.get(timeout=PATIENCE_S))
        return lines

    def post(self, endpoint: str, **body: object) -> httpx.Response:
        return self.control.post(endpoint, json=body)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(PATIENCE_S)


def test_after_the_script_people_type_on_and_move_the_clock(db_url: str) -> None:
    demo = RunningDemo(db_url)
    try:
        demo.expect(lambda line: "written below as it happens" in line)
        assert demo.post("clock", now="2026-11-19T22:30:00+08:00").is_success
        assert demo.post("clock", now="2026-11-19T08:00:00+08:00").status_code == 400
        said = demo.post("send", user_id=1002, chat_id=-1001000000001, text="明早八点半开碰头会")
        held = demo.expect(lambda line: line.startswith("        │ ") and "明天 08:00" in line)
        removed = (
            f"removes from {VILLAGE} 李主任: 「明早八点半开碰头会」 (#{said.json()['message_id']})"
        )
        assert f"        ✂ the bot {removed}" in held
        assert demo.post("clock", now="2026-11-20T08:00:00+08:00").is_success
        digest = demo.expect(lambda line: "明早八点半开碰头会" in line)
        assert digest[-1].startswith("        │ 22:30 李主任:")
        assert f"        │ {zh('release.header', count=1)}" in digest
    finally:
        assert demo.stop() == 0
