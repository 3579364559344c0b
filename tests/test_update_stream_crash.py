"""kill -9 in the middle of a 2,000-update burst, then a restart: every update processed once.

The real bot (`python -m bot run`) polls a standalone test server. The kill is placed
deterministically, in the one window where a processed batch is not yet confirmed: after the
bot has stored some batches, the server is told to hold the next getUpdates (the one whose
offset would confirm the batch being processed) without performing it; once it is held the
bot is killed. Telegram then delivers that batch again to the restarted bot, which must see
that it was stored and not handle it twice. Every message must be logged, and each roll-call
repost in the burst must have added its line: nothing lost on the way.
"""

from __future__ import annotations

import signal
import socket
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import MessageLog, ProcessedUpdate, RollcallEntry
from tests.processes import PATIENCE_S, Control, bot_process, polling_config, until
from testserver.process import launched

TOKEN = "123456:stream-crash-test"
BURST = 2000
REPOST_EVERY = 100  # every 100th message of the burst reposts the chain with a line of its own
TOPIC = "周六志愿者报名接龙"


@pytest.fixture
def server() -> Iterator[tuple[str, Control]]:
    with launched("--token", TOKEN) as running:
        control = Control(running.control_url)
        yield running.base_url, control
        assert control.get("violations") == []


COMMAND_AT = BURST // 2  # a /policy in the middle of the burst, answered through PTB's handlers


def burst_texts() -> list[str]:
    texts = []
    for n in range(BURST):
        if n == COMMAND_AT:
            texts.append("/policy")
        elif n % REPOST_EVERY == REPOST_EVERY - 1:
            texts.append(f"{TOPIC}\n1. 张伟\n2. 李娜\n3. 志愿者{n:04d}")
        else:
            texts.append(f"第{n:04d}条:明天上午九点在村委会开会")
    return texts


async def burst_killed_and_restarted(
    server: tuple[str, Control],
    database: str,
    directory: Path,
    stall: Callable[[Control], Awaitable[None]],
) -> dict[str, int]:
    """The chain, then the burst; `stall` holds the bot at some point and it is killed there;
    a second bot takes the rest. The server's counts of updates."""
    base_url, control = server
    people = [control.post("users", first_name=f"网格员{n:02d}") for n in range(20)]
    ids = [p["id"] for p in people]
    group = control.post("groups", title="河西社区工作群", member_ids=ids)
    config = polling_config(directory, base_url, database)
    first = bot_process(config, TOKEN)
    try:
        chain = f"{TOPIC}\n1. 张伟\n2. 李娜"
        control.post("send", user_id=ids[0], chat_id=group["id"], text=chain)
        await until(lambda: control.get("updates")["unconfirmed"] == 0, "the chain to be taken")
        await stall(control)
        control.post("send_many", chat_id=group["id"], user_ids=ids, texts=burst_texts())
        await until(control.held_requests, "the bot to be held where it is killed")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert first.returncode == -9
    assert control.get("updates")["unconfirmed"] > 0
    second = bot_process(config, TOKEN)
    try:
        await until(lambda: control.get("updates")["unconfirmed"] == 0, "the rest to be taken")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=PATIENCE_S) == 0
    return dict(control.get("updates"))


async def handled_once(database: str) -> None:
    """Every message of the burst logged once, each repost's line added once."""
    engine = create_engine(database)
    sessions = session_factory(engine)
    async with sessions() as session:
        logged = await session.scalar(select(func.count()).select_from(MessageLog))
        processed = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
        names = list(await session.scalars(select(RollcallEntry.name)))
    await engine.dispose()
    # Every update processed; every message logged but the command, which is no message.
    assert (logged, processed) == (BURST, BURST + 1)
    reposted = [f"志愿者{n:04d}" for n in range(BURST) if n % REPOST_EVERY == REPOST_EVERY - 1]
    assert sorted(names) == sorted(["张伟", "李娜", *reposted])


async def test_a_batch_stored_but_not_confirmed_is_not_handled_again(
    server: tuple[str, Control], sqlite_url: str, tmp_path: Path
) -> None:
    """Killed after a batch committed, before the poll that confirms it: the restarted bot
    resumes from the stored offset."""
    await upgrade_to_head(sqlite_url)

    async def hold_the_confirming_poll(control: Control) -> None:
        control.post("fault", method="getUpdates", kind="timeout", count=1, hold=3600)

    updates = await burst_killed_and_restarted(
        server, sqlite_url, tmp_path, hold_the_confirming_poll
    )
    assert updates["produced"] == BURST + 1
    assert updates["redelivered"] == 0, "the second bot resumed after what the first stored"
    await handled_once(sqlite_url)


async def test_a_batch_killed_while_processed_is_delivered_again_and_handled_once(
    server: tuple[str, Control], sqlite_url: str, tmp_path: Path
) -> None:
    """Killed in the middle of processing a batch (waiting to answer the /policy in it):
    its rest was not stored, nor the batch confirmed, so it comes again."""
    await upgrade_to_head(sqlite_url)

    async def hold_the_answer_to_the_command(control: Control) -> None:
        # The answer replies to the command; the notes on merged reposts are no replies.
        control.post(
            "fault",
            method="sendMessage",
            kind="timeout",
            count=1,
            hold=3600,
            with_param="reply_parameters",
        )

    updates = await burst_killed_and_restarted(
        server, sqlite_url, tmp_path, hold_the_answer_to_the_command
    )
    assert updates["produced"] == BURST + 1
    assert updates["redelivered"] > 0
    await handled_once(sqlite_url)


def webhook_bot(
    directory: Path, base_url: str, database: str, port: int
) -> subprocess.Popen[bytes]:
    config = directory / "config.toml"
    config.write_text(
        f'[telegram]\nbase_url = "{base_url}"\nmode = "webhook"\nwebhook_listen = "127.0.0.1"\n'
        f'webhook_port = {port}\nwebhook_url = "http://127.0.0.1:{port}/telegram"\n'
        f'webhook_secret_token = "{WEBHOOK_SECRET}"\n\n[database]\nurl = "{database}"\n',
        encoding="utf-8",
    )
    return bot_process(config, TOKEN)


WEBHOOK_SECRET = "stream-crash-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_webhook_update_killed_before_its_commit_is_delivered_again_and_handled_once(
    server: tuple[str, Control], sqlite_url: str, tmp_path: Path
) -> None:
    """Telegram hears nothing (no 200) from a bot killed while handling an update, so it posts
    the update again; the restarted bot handles it once."""
    base_url, control = server
    await upgrade_to_head(sqlite_url)
    person = control.post("users", first_name="陈静", started=True)
    port = free_port()
    first = webhook_bot(tmp_path, base_url, sqlite_url, port)
    try:
        await until(lambda: control.get("webhook") is not None, "the webhook to be set")
        control.post("fault", method="sendMessage", kind="timeout", count=1, hold=3600)
        control.post("send", user_id=person["id"], text="/start")
        await until(control.held_requests, "the answer to be held")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    second = webhook_bot(tmp_path, base_url, sqlite_url, port)
    try:
        await until(lambda: control.get("updates")["unconfirmed"] == 0, "the update to be taken")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=PATIENCE_S) == 0
    assert control.get("updates")["redelivered"] > 0
    answers = [m for m in control.get("sent") if m["chat"]["id"] == person["id"]]
    assert len(answers) == 1
    engine = create_engine(sqlite_url)
    async with session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(ProcessedUpdate)) == 1
    await engine.dispose()
