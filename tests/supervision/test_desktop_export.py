"""The export reader on exports written as tdesktop writes them."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.edge.desktop_export import ExportError, ExportSummary, export_file, read_export
from policies.message import AttachmentKind, ChatKind, ChatMessage, Entity, Person
from tests.supervision.exports import ExportChat, Message, write_full, write_single

AT = datetime(2024, 5, 8, 2, 0, tzinfo=UTC)  # Wednesday 10:00 in Shanghai


class Trickle(io.BytesIO):
    """A stream that gives at most a few bytes per read: every escape lands on a boundary."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(min(size if size and size > 0 else 7, 7))


def exported(chat: ExportChat) -> bytes:
    out = io.StringIO()
    write_single(out, chat)
    return out.getvalue().encode("utf-8")


def messages_of(data: bytes, trickle: bool = False) -> tuple[list[ChatMessage], ExportSummary]:
    found: list[ChatMessage] = []
    stream = Trickle(data) if trickle else io.BytesIO(data)
    summary = read_export(stream, found.append)
    return found, summary


@pytest.mark.parametrize("trickle", [False, True])
def test_control_characters_written_as_xhh_are_read_back(trickle: bool) -> None:
    texts = ["bell\x07 and\x1f unit", "a path C:\\xray\\x41 stays", "tab\tnew\nline\u2028sep", "\\"]
    chat = ExportChat(42, "村务群", messages=[Message(i + 1, AT, t) for i, t in enumerate(texts)])
    data = exported(chat)
    assert b"\\x07" in data and b"\\x1F" in data
    found, _ = messages_of(data, trickle)
    assert [m.text for m in found] == texts


def test_entity_lists_become_bot_api_entities_with_utf16_offsets() -> None:
    parts = [
        "😀 请",
        {"type": "bold", "text": "各村"},
        " 看 ",
        {"type": "text_link", "text": "通知", "href": "https://example.org/a"},
        {"type": "mention_name", "text": "李四", "user_id": 77},
        {"type": "link", "text": "www.gov.cn"},
        {"type": "bank_card", "text": "6222"},
    ]
    found, _ = messages_of(exported(ExportChat(42, "g", messages=[Message(1, AT, parts=parts)])))
    message = found[0]
    assert message.text == "😀 请各村 看 通知李四www.gov.each6222".replace("each", "cn")
    assert message.entities == (
        Entity("bold", 4, 2),
        Entity("text_link", 9, 2, url="https://example.org/a"),
        Entity("text_mention", 11, 2, user=Person(77, "李四")),
        Entity("url", 13, 10),
    )


def test_senders_times_ids_and_what_is_skipped() -> None:
    chat = ExportChat(
        1234567890,
        "工作群",
        messages=[
            Message(1, AT, "大家好"),
            Message(2, AT, "", service=True),
            Message(3, AT + timedelta(minutes=1), "我是谁", sender_id=555, sender_name=None),
            Message(
                4, AT, "以群身份", sender_id=1234567890, sender_name="工作群", from_prefix="channel"
            ),
            Message(5, AT, "频道转来", sender_id=99, sender_name="县融媒体", from_prefix="channel"),
            Message(6, AT, "看图", extra={"photo": "photos/1.jpg", "width": 1, "height": 1}),
            Message(7, AT, "", extra={"poll": {"question": "去吗", "answers": [{"text": "去"}]}}),
            Message(8, AT, "回复", extra={"reply_to_message_id": 1, "forwarded_from": "王五"}),
        ],
    )
    found, summary = messages_of(exported(chat))
    assert [m.message_id for m in found] == [1, 3, 4, 5, 6, 7, 8]
    first = found[0]
    assert first.chat.id == -1001234567890 and first.chat.kind is ChatKind.SUPERGROUP
    assert first.chat.title == "工作群"
    assert first.sent_at == AT and first.sent_at.tzinfo is not None
    assert first.sender is not None and (first.sender.id, first.sender.full_name) == (1001, "张三")
    deleted = found[1]
    assert deleted.sender is None and deleted.sender_chat is None and deleted.sender_id == 0
    assert found[2].is_anonymous_admin
    assert found[3].sender_chat is not None and found[3].sender_chat.id == -1000000000099
    photo = found[4]
    assert photo.attachment is not None and photo.attachment.kind is AttachmentKind.PHOTO
    assert (photo.text, photo.caption) == (None, "看图")
    assert found[5].poll is not None and found[5].poll.options == ("去",)
    reply = found[6]
    assert reply.reply_to is not None and reply.reply_to.message_id == 1
    assert reply.forward is not None and reply.forward.origin_name == "王五"
    assert (summary.messages, summary.service, summary.group_chats) == (7, 1, 1)


def test_a_full_export_reads_every_group_and_leaves_out_the_rest() -> None:
    out = io.StringIO()
    groups = [
        ExportChat(11, "超级群", "private_supergroup", [Message(i, AT, "a") for i in range(1, 4)]),
        ExportChat(22, "普通群", "private_group", [Message(i, AT, "b") for i in range(1, 3)]),
        ExportChat(33, "私聊", "personal_chat", [Message(1, AT, "c")]),
        ExportChat(44, "公开群", "public_supergroup", []),
    ]
    left = [ExportChat(55, "已退群", "private_supergroup", [Message(9, AT, "d")])]
    write_full(out, groups, left)
    found, summary = messages_of(out.getvalue().encode())
    assert [(m.chat.id, m.text) for m in found] == [
        (-1000000000011, "a"),
        (-1000000000011, "a"),
        (-1000000000011, "a"),
        (-22, "b"),
        (-22, "b"),
        (-1000000000055, "d"),
    ]
    assert found[3].chat.kind is ChatKind.GROUP
    assert (summary.kind, summary.group_chats, summary.other_chats) == ("full", 4, 1)


def test_a_corrupt_message_is_counted_and_skipped() -> None:
    data = exported(
        ExportChat(
            42,
            "g",
            messages=[
                Message(1, AT, "好"),
                Message(2, AT, "坏", extra={"date_unixtime": "yesterday"}),
                Message(3, AT, "坏", extra={"from_id": "robot7"}),
                Message(4, AT, "好"),
            ],
        )
    )
    found, summary = messages_of(data)
    assert [m.message_id for m in found] == [1, 4]
    assert summary.corrupt == 2
    assert [c.message_id for c in summary.corrupt_examples] == [2, 3]


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b"", "empty"),
        (b"<!DOCTYPE html><html>", "HTML export"),
        (b'[{"id": 1}]', "not a Telegram Desktop export"),
        (b'{"about": "x", "contacts": {"list": []}}', "not a Telegram Desktop export"),
        (b'{"name": "g", "type": "private_group", "id": 1, "messages": [{"id": 1', "truncated"),
        (b'{"name": "g", "messages": [} ', "not valid JSON"),
    ],
)
def test_what_is_not_an_export_is_refused_in_one_line(data: bytes, said: str) -> None:
    with pytest.raises(ExportError) as raised:
        read_export(io.BytesIO(data), lambda message: None)
    assert said in str(raised.value) and "\n" not in str(raised.value)
    assert raised.value.exit_code == 2


def test_export_file_finds_result_json_and_refuses_html(tmp_path: Path) -> None:
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "result.json").write_text("{}")
    assert export_file(tmp_path / "json") == tmp_path / "json" / "result.json"
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "messages.html").write_text("<html>")
    for refused in (tmp_path / "html", tmp_path / "html" / "messages.html"):
        with pytest.raises(ExportError, match=r"export it again|export the chat again"):
            export_file(refused)
    with pytest.raises(ExportError, match="not found"):
        export_file(tmp_path / "missing.json")
