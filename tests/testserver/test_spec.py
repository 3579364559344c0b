"""Decoding and checking requests against api.json, without HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from testserver.spec import SPEC_ENV, BotApiSpec, SpecError, UploadedFile, default_spec_path

SPEC = BotApiSpec.load()
SEND = SPEC.methods["sendMessage"]
KEYBOARD = {"inline_keyboard": [[{"text": "收到", "callback_data": "ack:1"}]]}


def decode(method: str, **form: str) -> dict[str, object]:
    return SPEC.decode_form(SPEC.methods[method], form, {})


def test_form_values_are_decoded_to_their_documented_types() -> None:
    params = decode(
        "sendMessage",
        chat_id="-1001234",
        text="123",
        disable_notification="true",
        reply_markup=json.dumps(KEYBOARD),
        reply_parameters=json.dumps({"message_id": 7}),
    )
    assert params == {
        "chat_id": -1001234,
        "text": "123",
        "disable_notification": True,
        "reply_markup": KEYBOARD,
        "reply_parameters": {"message_id": 7},
    }


def test_a_chat_username_is_a_string() -> None:
    assert decode("sendMessage", chat_id="@jianfu_group", text="hi")["chat_id"] == "@jianfu_group"


@pytest.mark.parametrize(
    ("form", "complaint"),
    [
        ({"text": "hi"}, "'chat_id' is missing"),
        ({"chat_id": "1", "text": "hi", "colour": "red"}, "unknown parameter 'colour'"),
        ({"chat_id": "1", "text": "hi", "disable_notification": "yes"}, "disable_notification"),
        ({"chat_id": "1", "text": "hi", "message_thread_id": "1.5"}, "message_thread_id"),
        (
            {"chat_id": "1", "text": "hi", "reply_markup": '{"inline_keyboard": [[{"text": 5}]]}'},
            "reply_markup.inline_keyboard[0][0].text: expected String",
        ),
        (
            {"chat_id": "1", "text": "hi", "entities": '[{"type": "bold", "offset": 0}]'},
            "requires field 'length'",
        ),
        (
            {"chat_id": "1", "text": "hi", "link_preview_options": '{"disabled": true}'},
            "unknown field 'disabled'",
        ),
    ],
)
def test_bad_requests_are_named(form: dict[str, str], complaint: str) -> None:
    with pytest.raises(SpecError, match=re.escape(complaint)):
        SPEC.decode_form(SEND, form, {})


def test_message_ids_must_be_an_array_of_integers() -> None:
    assert decode("deleteMessages", chat_id="1", message_ids="[1, 2]")["message_ids"] == [1, 2]
    with pytest.raises(SpecError, match=r"message_ids\[1\]: expected Integer"):
        decode("deleteMessages", chat_id="1", message_ids='[1, "2"]')


def test_subtypes_are_told_apart_by_their_type_field() -> None:
    scope = decode("setMyCommands", commands="[]", scope='{"type": "chat", "chat_id": 5}')
    assert scope["scope"] == {"type": "chat", "chat_id": 5}
    with pytest.raises(SpecError, match="requires field 'chat_id'"):
        decode("setMyCommands", commands="[]", scope='{"type": "chat"}')


def test_an_uploaded_file_fills_an_input_file_parameter() -> None:
    upload = UploadedFile("a.txt", b"abc", "text/plain")
    params = SPEC.decode_form(SPEC.methods["sendDocument"], {"chat_id": "1"}, {"document": upload})
    assert params["document"] == upload


def test_a_file_part_nobody_refers_to_is_unknown() -> None:
    upload = UploadedFile("a.txt", b"abc", "text/plain")
    with pytest.raises(SpecError, match="unknown file part 'stray'"):
        SPEC.decode_form(
            SPEC.methods["sendDocument"], {"chat_id": "1", "document": "id"}, {"stray": upload}
        )


def test_json_bodies_are_checked_with_native_types() -> None:
    assert SPEC.check_json(SEND, {"chat_id": 1, "text": "hi"}) == {"chat_id": 1, "text": "hi"}
    with pytest.raises(SpecError, match="disable_notification: expected Boolean, got Integer"):
        SPEC.check_json(SEND, {"chat_id": 1, "text": "hi", "disable_notification": 1})


def test_method_names_match_case_insensitively() -> None:
    assert SPEC.method("sendmessage") is SEND
    assert SPEC.method("sendMessages") is None


def test_the_spec_path_can_be_set_by_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(SPEC_ENV, str(tmp_path / "api.json"))
    assert default_spec_path() == tmp_path / "api.json"
    with pytest.raises(FileNotFoundError, match=SPEC_ENV):
        BotApiSpec.load()
