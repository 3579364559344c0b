"""Hostile texts end to end, on both databases: none escapes the log or the hold, and a held one
is posted again as it was written."""

from __future__ import annotations

import pytest

from tests.e2e.harness import BotHarness
from tests.e2e.scenes import (
    THU_MORNING,
    WED_NIGHT,
    at,
    drained,
    held_rows,
    log_actions,
    member_in_group,
)

HOSTILE = {
    "nul": "明天\x00交材料",
    "nul-only": "\x00",
    "bidi": "\u202e料材交天明\u202c 请查收",
    "isolates": "\u2066通知\u2069\u2067عربي\u2069",
    "zero-width": "通\u200b知\u200d\ufeff:明天开会",
    "control": "第一行\r\n第二行\x07\x1b[31m红\x1b[0m",
    "combining": "Z\u0351\u0352\u0353a\u0354\u0355lgo" * 50,
    "emoji-zwj": "👨\u200d👩\u200d👧\u200d👦🏳️\u200d🌈" * 20,
    "sql": "'; DROP TABLE message_log; --",
    "format": "%s %(x)s {0} {{}} \\x00 \\u0000",
    "huge": "减负" * 2048,
    "supplementary": "𠀀𪚥𰻞" * 300,
}


@pytest.mark.parametrize("when", ["day", "night"])
async def test_hostile_texts_are_logged_and_held_and_released_as_written(
    harness: BotHarness, when: str
) -> None:
    world = harness.world
    li, group = await member_in_group(harness)
    if when == "night":
        harness.clock.set(WED_NIGHT)
    sent = {name: world.send(li, group, body) for name, body in HOSTILE.items()}
    await drained(harness)

    logged = await log_actions(harness, group)
    missing = [name for name, message in sent.items() if message.message_id not in logged]
    assert missing == [], "every message is logged"
    if when == "day":
        assert not any(message.deleted for message in sent.values())
        return
    held = {row.message_id for row in await held_rows(harness, group)}
    assert [name for name, message in sent.items() if message.message_id not in held] == []
    before = len(world.sent_by_bot(group))
    await at(harness, THU_MORNING)
    released = "".join(m.text or "" for m in world.sent_by_bot(group)[before:])
    lost = [name for name, body in HOSTILE.items() if name != "huge" and body not in released]
    assert lost == [], "each posted again as written"
    assert released.count("减负") >= 2048
