"""Composing a release: digest pages, entities moved with their text, media re-sent by file_id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.features.holding.release import CAPTION_LIMIT, compose_release
from bot.platform.i18n import catalogs, text
from bot.platform.storage.models import HeldMessage
from bot.platform.text_limits import TEXT_LIMIT, utf16_len

CHAT = -1001
RELEASED = datetime(2026, 11, 19, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
SENT = RELEASED - timedelta(hours=9)  # 23:00 the night before


def held(number: int, kind: str = "text", **payload: Any) -> HeldMessage:
    return HeldMessage(
        id=number,
        chat_id=CHAT,
        message_id=100 + number,
        sent_at=SENT + timedelta(minutes=number),
        kind=kind,
        payload={"sender": "李明", **payload},
    )


def compose(rows: list[HeldMessage], *, digest: bool = True) -> list[Any]:
    posts = compose_release(
        catalogs(), "zh-Hans", "Asia/Shanghai", CHAT, rows, RELEASED, digest=digest
    )
    return [post.call for post in posts]


def test_one_page_has_the_header_and_each_item_with_its_entities_moved() -> None:
    row = held(1, text="🌧️暴雨预警", entities=[{"type": "bold", "offset": 3, "length": 4}])
    (call,) = compose([row])
    assert call.method == "sendMessage" and call.payload["disable_notification"]
    header = text("release.header", "zh-Hans", count=1)
    assert call.payload["text"] == f"{header}\n23:01 李明:🌧️暴雨预警"
    (entity,) = call.payload["entities"]
    start = utf16_len(f"{header}\n23:01 李明:🌧️")
    assert entity == {"type": "bold", "offset": start, "length": 4}


def test_pages_never_cut_an_item_and_number_themselves() -> None:
    rows = [held(n, text=f"{n:02d}" + "字" * 1500) for n in range(6)]
    calls = compose(rows)
    assert len(calls) == 3
    for number, call in enumerate(calls, start=1):
        page = call.payload["text"]
        assert utf16_len(page) <= TEXT_LIMIT
        header = text("release.header_part", "zh-Hans", count=6, part=number, parts=3)
        assert page.startswith(header + "\n")
    items = [line for call in calls for line in call.payload["text"].split("\n")[1:]]
    assert items == [f"23:{n:02d} 李明:{n:02d}" + "字" * 1500 for n in range(6)]


def test_only_an_item_longer_than_a_page_is_cut_and_its_entities_follow() -> None:
    body = "长" * 5000
    row = held(1, text=body, entities=[{"type": "italic", "offset": 4000, "length": 200}])
    calls = compose([row])
    assert len(calls) == 2
    joined = "".join(call.payload["text"].split("\n", 1)[1] for call in calls)
    assert joined == f"23:01 李明:{body}"
    pieces = [e for call in calls for e in call.payload.get("entities", [])]
    assert sum(e["length"] for e in pieces) == 200


def test_media_follow_the_digest_with_file_id_and_their_caption_only_on_the_file() -> None:
    photo = held(
        1,
        "photo",
        file_id="photo-1",
        caption="河堤",
        caption_entities=[{"type": "bold", "offset": 0, "length": 2}],
    )
    sticker = held(2, "sticker", file_id="sticker-2")
    poll = held(
        3,
        "poll",
        poll={
            "question": "时间?",
            "options": ["上午", "下午"],
            "is_anonymous": False,
            "type": "regular",
            "allows_multiple_answers": True,
        },
    )
    digest, photo_call, sticker_call, poll_call = compose([photo, sticker, poll])
    assert digest.payload["text"].split("\n")[1:] == [
        "23:01 李明:[图片]",  # its caption is on the photo: said once
        "23:02 李明:[表情]",
        "23:03 李明:[投票] 时间?",
    ]
    assert photo_call.method == "sendPhoto" and photo_call.payload["photo"] == "photo-1"
    assert photo_call.payload["caption"] == "23:01 李明:河堤"
    assert photo_call.payload["caption_entities"] == [
        {"type": "bold", "offset": utf16_len("23:01 李明:"), "length": 2}
    ]
    assert sticker_call.method == "sendSticker" and "caption" not in sticker_call.payload
    assert poll_call.method == "sendPoll"
    assert poll_call.payload["options"] == [{"text": "上午"}, {"text": "下午"}]
    assert poll_call.payload["allows_multiple_answers"] and not poll_call.payload["is_anonymous"]


def test_a_caption_too_long_for_the_label_keeps_its_own_words() -> None:
    caption = "图" * CAPTION_LIMIT
    (_, call) = compose([held(1, "document", file_id="doc-1", caption=caption)])
    assert call.method == "sendDocument" and call.payload["caption"] == caption


def test_an_early_release_is_the_message_alone_without_a_header() -> None:
    (call,) = compose([held(1, text="【紧急】今晚暴雨预警")], digest=False)
    assert call.payload["text"] == "23:01 李明:【紧急】今晚暴雨预警"


def test_messages_from_before_last_night_carry_their_date() -> None:
    row = held(1, text="周一晚上的通知")
    row.sent_at = RELEASED - timedelta(days=2, hours=9)
    (call,) = compose([row])
    assert "11月16日(周一)23:00 李明:周一晚上的通知" in call.payload["text"]
