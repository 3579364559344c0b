"""`jianfu` as an operator meets it: real processes, a standalone test Bot API server, signals."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.platform.settings import load_settings
from bot.platform.startup import startup_summary
from testserver.process import launched

REPO = Path(__file__).resolve().parents[1]
TOKEN = "123456:jianfu-run-test"
DB_WITH_PASSWORD = "postgresql+asyncpg://jianfu:s3cret-pw@db.example.gov.cn/jianfu"
# A safety net against a hung process, never a measure of speed.
DEADLINE = 60.0


@dataclass
class StandaloneServer:
    base_url: str
    control: httpx.Client


@pytest.fixture
def api_server() -> Iterator[StandaloneServer]:
    with (
        launched("--token", TOKEN) as server,
        httpx.Client(base_url=server.control_url + "/") as client,
    ):
        yield StandaloneServer(server.base_url, client)
        assert client.get("violations").json() == []


def jianfu_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIANFU_")}
    return env | extra


def jianfu(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bot", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def write_config(directory: Path, base_url: str, database: Path) -> Path:
    config = directory / "config.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{base_url}"\n\n[database]\nurl = "sqlite+aiosqlite:///{database}"\n',
        encoding="utf-8",
    )
    return config


def assert_one_clean_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_run_without_a_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = jianfu("run", cwd=tmp_path, env=jianfu_env())
    assert_one_clean_line(result, "@BotFather", "JIANFU_BOT_TOKEN", "[telegram]")


def test_make_run_without_a_token_stops_before_it_creates_the_database(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    if subprocess.run(["make", "-q", "-C", str(REPO), ".venv/.installed-stamp"]).returncode:
        pytest.skip("the repository's .venv is not installed (make test installs it)")
    database = tmp_path / "jianfu.db"
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{database}"\n', encoding="utf-8")
    result = subprocess.run(
        ["make", "-s", "-C", str(REPO), "run"],
        env=jianfu_env(JIANFU_CONFIG=str(config)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "@BotFather" in result.stderr and "Traceback" not in result.stderr
    assert not database.exists()


def test_check_config_accepts_the_example_and_names_a_bad_quiet_hours(tmp_path: Path) -> None:
    example = REPO / "config.example.toml"
    assert jianfu("check-config", str(example), cwd=tmp_path, env=jianfu_env()).returncode == 0
    broken = tmp_path / "broken.toml"
    text = example.read_text(encoding="utf-8")
    setting = 'quiet_hours = "21:00-08:00"'
    assert setting in text
    broken.write_text(text.replace(setting, 'quiet_hours = "25:00-08:00"'), encoding="utf-8")
    result = jianfu("check-config", str(broken), cwd=tmp_path, env=jianfu_env())
    assert result.returncode == 2
    assert "quiet_hours" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_an_unmigrated_database_stops_the_bot_with_the_fix(
    tmp_path: Path, api_server: StandaloneServer
) -> None:
    write_config(tmp_path, api_server.base_url, tmp_path / "empty.db")
    result = jianfu("run", cwd=tmp_path, env=jianfu_env(JIANFU_BOT_TOKEN=TOKEN))
    assert_one_clean_line(result, "jianfu migrate")


def test_a_rejected_token_stops_the_bot_with_one_line(
    tmp_path: Path, api_server: StandaloneServer
) -> None:
    write_config(tmp_path, api_server.base_url, tmp_path / "jianfu.db")
    env = jianfu_env(JIANFU_BOT_TOKEN="999:wrong-token")
    assert jianfu("migrate", cwd=tmp_path, env=env).returncode == 0
    assert_one_clean_line(jianfu("run", cwd=tmp_path, env=env), "401", "@BotFather")


def test_an_unreachable_database_stops_with_one_line(tmp_path: Path) -> None:
    env = jianfu_env(
        JIANFU_BOT_TOKEN=TOKEN, JIANFU_DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:1/x"
    )
    assert_one_clean_line(jianfu("migrate", cwd=tmp_path, env=env), "JIANFU_DATABASE_URL")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_bot_answers_start_and_stops_cleanly_on_a_signal(
    tmp_path: Path, api_server: StandaloneServer, signum: signal.Signals
) -> None:
    write_config(tmp_path, api_server.base_url, tmp_path / "jianfu.db")
    env = jianfu_env(JIANFU_BOT_TOKEN=TOKEN)
    assert jianfu("migrate", cwd=tmp_path, env=env).returncode == 0
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        control = api_server.control
        user = control.post("users", json={"first_name": "李明"}).json()
        control.post("send", json={"user_id": user["id"], "text": "/start"})
        deadline = time.monotonic() + DEADLINE
        while not (replies := control.get("sent", params={"chat_id": user["id"]}).json()):
            assert bot.poll() is None, bot.stderr.read() if bot.stderr else ""
            assert time.monotonic() < deadline, "the bot never answered /start"
            time.sleep(0.05)
        assert "减负" in replies[0]["text"]
        bot.send_signal(signum)
        assert bot.wait(timeout=DEADLINE) == 0
        assert bot.stderr is not None
        assert "Traceback" not in bot.stderr.read()
    finally:
        if bot.poll() is None:
            bot.kill()


def test_a_second_instance_on_the_same_sqlite_file_refuses_to_start_in_one_line(
    tmp_path: Path, api_server: StandaloneServer
) -> None:
    write_config(tmp_path, api_server.base_url, tmp_path / "jianfu.db")
    env = jianfu_env(JIANFU_BOT_TOKEN=TOKEN)
    assert jianfu("migrate", cwd=tmp_path, env=env).returncode == 0
    first = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + DEADLINE
        while not api_server.control.get("requests", params={"method": "getUpdates"}).json():
            assert first.poll() is None and time.monotonic() < deadline, "the first never polled"
            time.sleep(0.05)
        second = jianfu("run", cwd=tmp_path, env=env)
        assert_one_clean_line(second, "another jianfu instance", "SQLite", "PostgreSQL")
    finally:
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=DEADLINE)


def test_the_bot_logs_one_start_up_summary_without_secrets(
    tmp_path: Path, api_server: StandaloneServer
) -> None:
    database = tmp_path / "jianfu.db"
    write_config(tmp_path, api_server.base_url, database)
    env = jianfu_env(JIANFU_BOT_TOKEN=TOKEN)
    assert jianfu("migrate", cwd=tmp_path, env=env).returncode == 0
    with sqlite3.connect(database) as db:  # what an earlier run stored: one group it is in
        db.executemany(
            "INSERT INTO chats (chat_id, type, title, left_at) VALUES (?, ?, ?, ?)",
            [
                (-1001, "supergroup", "青石镇工作群", None),
                (-1002, "supergroup", "已退出的群", "2026-11-01 00:00:00"),
                (42, "private", None, None),
            ],
        )
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + DEADLINE
        while not api_server.control.get("requests", params={"method": "getUpdates"}).json():
            assert bot.poll() is None and time.monotonic() < deadline, "the bot never polled"
            time.sleep(0.05)
    finally:
        bot.send_signal(signal.SIGTERM)
        bot.wait(timeout=DEADLINE)
    assert bot.stderr is not None
    log = bot.stderr.read()
    (summary,) = [line for line in log.splitlines() if "start-up:" in line]
    assert "@jianfu_test_bot, polling" in summary
    assert f"sqlite+aiosqlite:///{database}, 1 group;" in summary
    assert "quiet hours 21:00-08:00, rest days sat sun" in summary and "mode enforce" in summary
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


def test_the_start_up_summary_hides_the_database_password() -> None:
    settings = load_settings(None, {"JIANFU_DATABASE_URL": DB_WITH_PASSWORD})
    summary = startup_summary(settings, "jianfu_bot", 1)
    assert "s3cret-pw" not in summary
    assert "postgresql+asyncpg://jianfu:***@db.example.gov.cn/jianfu, 1 group;" in summary
