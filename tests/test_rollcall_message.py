"""The roll-call message fits Telegram's limit however long the list, and says what it left out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.rollcalls.feature import list_content
from bot.platform.i18n import catalogs, text
from bot.platform.storage.models import Rollcall, RollcallEntry, RollcallStatus
from bot.platform.text_limits import split_text, utf16_len

CATALOGS = catalogs()
LIMIT = 4096


def utf16(value: str) -> int:
    return len(value.encode("utf-16-le")) // 2


def rollcall(status: RollcallStatus = RollcallStatus.OPEN) -> Rollcall:
    return Rollcall(id=7, chat_id=-100, title="全镇防汛值守报名接龙", status=status.value)


def entries(names: list[str]) -> list[RollcallEntry]:
    now = datetime(2026, 11, 18, tzinfo=UTC)
    return [RollcallEntry(position=i, name=n, added_at=now) for i, n in enumerate(names, 1)]


def lines_of(content: dict[str, Any]) -> list[str]:
    return [line for line in content["text"].split("\n") if line[:1].isdigit()]


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "en"])
def test_a_short_list_is_shown_whole_with_its_buttons(lang: str) -> None:
    content = list_content(CATALOGS, lang, rollcall(), entries(["张伟", "李娜"]))
    assert lines_of(content) == ["1. 张伟", "2. 李娜"]
    buttons = [
        b["callback_data"] for row in content["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert buttons == ["rcj:7", "rcw:7", "rcc:7"]


def test_a_closed_list_has_no_buttons_and_says_it_is_closed() -> None:
    content = list_content(CATALOGS, "zh-Hans", rollcall(RollcallStatus.CLOSED), entries(["张伟"]))
    assert "reply_markup" not in content
    assert content["text"].endswith(text("rollcall.closed", "zh-Hans", count=1))


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=600),
    name=st.lists(
        st.sampled_from(["张", "伟", "😀", "🧑‍🚒", "a", " "]), min_size=1, max_size=40
    ).map("".join),
)
def test_any_list_fits_one_message_and_counts_what_it_leaves_out(count: int, name: str) -> None:
    content = list_content(CATALOGS, "zh-Hans", rollcall(), entries([name.strip() or "某"] * count))
    assert utf16(content["text"]) <= LIMIT
    shown = len(lines_of(content))
    if shown < count:
        assert text("rollcall.more", "zh-Hans", count=count - shown) in content["text"]
    else:
        assert shown == count


@given(st.text(alphabet=st.sampled_from(["名", "\n", "、", "a", "😀"]), max_size=300))
def test_split_text_keeps_every_character_but_cut_newlines_within_the_limit(value: str) -> None:
    parts = split_text(value, 50)
    assert all(0 < utf16_len(p) <= 50 for p in parts)
    assert "".join(parts).replace("\n", "") == value.replace("\n", "")
