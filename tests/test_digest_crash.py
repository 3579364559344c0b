"""kill -9 in the middle of a personal-digest fan-out, then a restart: every digest once.

The real bot polls a standalone test server, on a clock of the test's. On Wednesday many
officials of one group switch their personal digest on and a data request is posted; the bot
is stopped. It starts again on Thursday at the digest time and fans the digests out. The server
holds the first few without performing them, so the fan-out is caught with some digests
delivered and some not; once part of them has arrived, the server stops performing any, and
when the bot has recorded every delivered one it is killed. A second bot must send the rest,
and nobody may get their digest twice or not at all.

A page Telegram delivered whose answer the bot never recorded would be sent again: the
outbox's one duplicate window (Telegram has no idempotency key). The kill waits for the
records so the test is about the bot's own bookkeeping, not about that race.
"""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.features.digests.feature import PERSONAL_KIND
from bot.platform.i18n import text
from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import upgrade_to_head
from bot.platform.storage.models import OutboxItem, PersonalDigest
from tests.e2e.harness import shanghai
from tests.processes import PATIENCE_S, Control, bot_process, polling_config, until
from testserver.process import launched

TOKEN = "123456:digest-crash-test"
WEDNESDAY = shanghai(2026, 11, 18, 10)
THURSDAY = shanghai(2026, 11, 19, 8, 30)  # the default digest time
OFFICIALS = 150  # more than one transaction of the fan-out (FAN_OUT_CHUNK)
HELD = 5  # digests the server holds when the bot is killed
REQUEST = "请各村于下周三前上报自建房排查台账"
HEADER = text("digest.personal.header", "zh-Hans", count=1)


@pytest.fixture
def server() -> Iterator[tuple[str, Control]]:
    with launched("--token", TOKEN, "--now", WEDNESDAY.isoformat()) as running:
        control = Control(running.control_url)
        yield running.base_url, control
        assert control.get("violations") == []


def digests(control: Control, officials: set[int]) -> list[tuple[int, str]]:
    """The personal digest pages the server performed: (recipient, text)."""
    sent: list[dict[str, Any]] = control.get("sent")
    return [
        (m["chat"]["id"], m["text"])
        for m in sent
        if m["chat"]["id"] in officials and (m.get("text") or "").startswith(HEADER)
    ]


async def outbox_settled(database: str) -> bool:
    engine = create_engine(database)
    try:
        async with session_factory(engine)() as session:
            waiting = await session.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.status.in_(("pending", "claimed")))
            )
    finally:
        await engine.dispose()
    return waiting == 0


async def recorded_sent(database: str, delivered: int) -> bool:
    """Whether the outbox records at least `delivered` personal digest pages as sent."""
    engine = create_engine(database)
    try:
        async with session_factory(engine)() as session:
            sent = await session.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.kind == PERSONAL_KIND, OutboxItem.status == "sent")
            )
    finally:
        await engine.dispose()
    return (sent or 0) >= delivered


async def subscribed(
    control: Control, config: Path, database: str
) -> tuple[set[int], dict[str, Any]]:
    """Wednesday: the officials in the group, each with the digest on; a data request posted."""
    admin = control.post("users", first_name="王主任", started=True)
    people = [
        control.post("users", first_name=f"村干部{n:03d}", started=True) for n in range(OFFICIALS)
    ]
    ids = [p["id"] for p in people]
    group = control.post("groups", title="镇综治工作群", admin_ids=[admin["id"]], member_ids=ids)
    wednesday = bot_process(config, TOKEN, now=WEDNESDAY)
    try:
        control.post("send_many", chat_id=group["id"], user_ids=ids, texts=["大家好"] * OFFICIALS)
        for person in ids:
            control.post("send", user_id=person, text="/digest on")
        control.post("send", user_id=admin["id"], chat_id=group["id"], text=REQUEST)

        def answered() -> bool:
            chats = [m["chat"]["id"] for m in control.get("sent")]
            return set(ids) <= set(chats) and control.get("updates")["unconfirmed"] == 0

        await until(answered, "every /digest on to be answered")
        await until(lambda: outbox_settled(database), "Wednesday's outbox to be drained")
    finally:
        wednesday.send_signal(signal.SIGTERM)
        assert wednesday.wait(timeout=PATIENCE_S) == 0
    return set(ids), group


async def test_a_kill_9_during_the_fan_out_then_a_restart_sends_every_digest_once(
    server: tuple[str, Control], db_url: str, tmp_path: Path
) -> None:
    base_url, control = server
    await upgrade_to_head(db_url)
    config = polling_config(tmp_path, base_url, db_url, 'digest = "off"\n')
    officials, _ = await subscribed(control, config, db_url)
    assert digests(control, officials) == []

    control.post("fault", method="sendMessage", kind="timeout", count=HELD, hold=3600)
    first = bot_process(config, TOKEN, now=THURSDAY)
    try:

        def caught_mid_fan_out() -> bool:
            return (
                control.held_requests() == HELD
                and len(digests(control, officials)) >= OFFICIALS // 3
            )

        await until(caught_mid_fan_out, "part of the digests to arrive, some held")
        control.post("fault", method="sendMessage", kind="timeout", count=OFFICIALS, hold=3600)
        delivered = len(digests(control, officials))
        await until(
            lambda: recorded_sent(db_url, delivered), "every delivered digest to be recorded"
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert first.returncode == -9
    delivered_before = len(digests(control, officials))
    assert 0 < delivered_before < OFFICIALS

    control.post("clear_faults")
    second = bot_process(config, TOKEN, now=THURSDAY + timedelta(minutes=1))
    try:

        def everyone_has_one() -> bool:
            return {chat for chat, _ in digests(control, officials)} == officials

        await until(everyone_has_one, "every official to get their digest")
        await until(lambda: outbox_settled(db_url), "the outbox to be drained")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=PATIENCE_S) == 0

    pages = Counter(digests(control, officials))
    assert {chat for chat, _ in pages} == officials
    assert set(pages.values()) == {1}, [page for page, n in pages.items() if n > 1]
    assert all(REQUEST[:10] in body for _, body in pages)
    engine = create_engine(db_url)
    async with session_factory(engine)() as session:
        rows = (await session.execute(select(PersonalDigest.user_id))).scalars().all()
    await engine.dispose()
    assert sorted(rows) == sorted(officials)
