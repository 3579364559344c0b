"""Hot standby on PostgreSQL (JIANFU_BENCH_POSTGRES_URL): how long a takeover takes, and what
a waiting standby costs the leader.

Two real `jianfu run` processes on one database, against a standalone test server. Takeover
after kill -9: from the kill to the first getUpdates of the new leader, ten times, the two
instances taking turns (the killed one is started again as the standby). Takeover after
SIGSTOP: the same from the freeze (it includes the grace period). Throughput: a burst of N
group messages, all held, drained by a leader alone and by a leader with a standby waiting.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import httpx
from sqlalchemy.engine import make_url

from bot.platform.storage.migrate import upgrade_to_head
from testserver.process import launched

POSTGRES_ENV = "JIANFU_BENCH_POSTGRES_URL"
TOKEN = "123456:standby-bench"
RUNS = 10
GRACE_S = 10
N = 2000
SENDERS = 50
# A safety net for an instance that never polls, not a measure.
PATIENCE_S = 120.0
REPO = Path(__file__).resolve().parents[1]


class Bench:
    def __init__(self, directory: Path, base_url: str, control: httpx.Client, database: str):
        self.directory, self.base_url, self.control, self.database = (
            directory,
            base_url,
            control,
            database,
        )

    def instance(self, name: str) -> subprocess.Popen[bytes]:
        config = self.directory / f"{name}.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{self.base_url}"\n\n[database]\nurl = "{self.database}"\n\n'
            f'[instance]\nid = "{name}"\nstandby_grace_seconds = {GRACE_S}\n\n'
            '[defaults]\nquiet_hours = "00:00-23:59"\nrest_days = []\nholiday_calendar = "none"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIANFU_")}
        env["JIANFU_BOT_TOKEN"] = TOKEN
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "--config", str(config), "run"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def polls_since(self, since: float) -> list[float]:
        polls = self.control.get("requests", params={"method": "getUpdates"}).json()
        return sorted(r["at"] for r in polls if r["at"] > since)

    def until_polled(self, since: float) -> float:
        """The first getUpdates after `since` (time.monotonic, as the server keeps it)."""
        deadline = time.monotonic() + PATIENCE_S
        while not (polls := self.polls_since(since)):
            if time.monotonic() > deadline:
                raise SystemExit("no instance polled; run one by hand to see why")
            time.sleep(0.01)
        return polls[0]

    def until_drained(self) -> None:
        deadline = time.monotonic() + PATIENCE_S
        while self.control.get("updates").json()["unconfirmed"]:
            if time.monotonic() > deadline:
                raise SystemExit("the burst was never taken")
            time.sleep(0.01)


def _takeovers(bench: Bench, how: signal.Signals, runs: int) -> list[float]:
    leader, standby = bench.instance("a"), None
    seconds: list[float] = []
    try:
        bench.until_polled(0.0)
        standby = bench.instance("b")
        time.sleep(3)  # the standby is up and waiting on the lock
        for _ in range(runs):
            struck = time.monotonic()
            leader.send_signal(how)
            seconds.append(bench.until_polled(struck) - struck)
            leader.send_signal(signal.SIGCONT)
            leader.kill()
            leader.wait()
            leader, standby = standby, bench.instance(f"s{len(seconds)}")
            time.sleep(3)
    finally:
        for process in (leader, standby):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.kill()
                process.wait()
    return seconds


def _burst(bench: Bench, label: str) -> float:
    """N held messages from new senders in a new group: updates/s until all are taken."""
    people = [
        bench.control.post("users", json={"first_name": f"{label}{n}", "started": True}).json()
        for n in range(SENDERS)
    ]
    group = bench.control.post(
        "groups", json={"title": f"{label}工作群", "member_ids": [p["id"] for p in people]}
    ).json()
    texts = [f"第{n:04d}条:明天上午九点在村委会开会" for n in range(N)]
    started = time.monotonic()
    bench.control.post(
        "send_many",
        json={"chat_id": group["id"], "user_ids": [p["id"] for p in people], "texts": texts},
    )
    bench.until_drained()
    return N / (time.monotonic() - started)


def _rates(bench: Bench) -> tuple[float, float]:
    alone = bench.instance("alone")
    try:
        bench.until_polled(0.0)
        single = _burst(bench, "甲")
        waiting = bench.instance("waiting")
        try:
            time.sleep(3)
            paired = _burst(bench, "乙")
        finally:
            waiting.kill()
            waiting.wait()
    finally:
        alone.kill()
        alone.wait()
    return single, paired


async def _database(server_url: str) -> tuple[str, str]:
    server = make_url(server_url)
    name = f"jianfu_bench_{uuid.uuid4().hex[:12]}"
    admin = server.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(admin)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = server.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False
    )
    await upgrade_to_head(url)
    return admin, url


async def _drop(admin: str, url: str) -> None:
    connection = await asyncpg.connect(admin)
    try:
        name = make_url(url).database
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def _figures(seconds: list[float]) -> str:
    return (
        f"p50 {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
        f"({len(seconds)} takeovers)"
    )


def run() -> None:
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        print(f"standby: set {POSTGRES_ENV} to a PostgreSQL server URL to measure it")
        return
    for name, measure in (("kill -9", signal.SIGKILL), ("SIGSTOP", signal.SIGSTOP)):
        admin, url = asyncio.run(_database(server_url))
        try:
            with (
                tempfile.TemporaryDirectory() as directory,
                launched("--token", TOKEN) as server,
                httpx.Client(base_url=server.control_url + "/", timeout=30) as control,
            ):
                bench = Bench(Path(directory), server.base_url, control, url)
                runs = RUNS if measure is signal.SIGKILL else 3
                seconds = _takeovers(bench, measure, runs)
        finally:
            asyncio.run(_drop(admin, url))
        grace = f" (grace {GRACE_S} s)" if measure is signal.SIGSTOP else ""
        print(f"standby: takeover after {name}{grace}: {_figures(seconds)}")
    admin, url = asyncio.run(_database(server_url))
    try:
        with (
            tempfile.TemporaryDirectory() as directory,
            launched("--token", TOKEN) as server,
            httpx.Client(base_url=server.control_url + "/", timeout=None) as control,
        ):
            single, paired = _rates(Bench(Path(directory), server.base_url, control, url))
    finally:
        asyncio.run(_drop(admin, url))
    print(
        f"standby: {N} held messages, leader alone {single:.0f} updates/s, "
        f"with a standby waiting {paired:.0f} updates/s"
    )
