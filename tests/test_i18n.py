from datetime import date
from pathlib import Path

import pytest
import zhconv

from bot.platform.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Catalogs,
    language_for,
    load_catalogs,
    placeholders,
)
from policies.group_policy import GroupPolicy, policy_problems

CATALOGS = load_catalogs()
# Taiwan/Hong Kong usage that character conversion alone does not give (and one zhconv slip).
TRADITIONAL_VOCABULARY = (
    ("回復", "回覆"),
    ("不幹預", "不干預"),
    ("周", "週"),
    ("群設置", "群組設定"),
    ("設置", "設定"),
    ("消息", "訊息"),
    ("工作信息", "工作資訊"),
    ("[文件]", "[檔案]"),
    ("視頻", "影片"),
    ("音頻", "音訊"),
    ("用戶", "使用者"),
    ("私信", "私訊"),
    ("私聊", "私訊"),
    ("聯繫", "聯絡"),
    ("屏蔽", "封鎖"),
    ("刷屏", "洗版"),
)


def test_every_catalog_has_the_same_keys() -> None:
    reference = CATALOGS.keys(DEFAULT_LANGUAGE)
    assert len(reference) > 100
    for lang in LANGUAGES:
        assert CATALOGS.keys(lang) == reference, lang


@pytest.mark.parametrize("key", sorted(CATALOGS.keys(DEFAULT_LANGUAGE)))
def test_every_language_has_the_same_placeholders(key: str) -> None:
    expected = placeholders(CATALOGS.messages[DEFAULT_LANGUAGE][key])
    for lang in LANGUAGES:
        assert placeholders(CATALOGS.messages[lang][key]) == expected, lang


@pytest.mark.parametrize("key", sorted(CATALOGS.keys(DEFAULT_LANGUAGE)))
def test_traditional_text_is_the_simplified_text_converted(key: str) -> None:
    converted = zhconv.convert(CATALOGS.messages["zh-Hans"][key], "zh-tw")
    for simplified_usage, traditional_usage in TRADITIONAL_VOCABULARY:
        converted = converted.replace(simplified_usage, traditional_usage)
    assert CATALOGS.messages["zh-Hant"][key] == converted


def test_simplified_text_has_no_traditional_characters() -> None:
    for key, template in CATALOGS.messages["zh-Hans"].items():
        assert zhconv.convert(template, "zh-cn") == template, key


def test_templates_are_not_empty_and_multiline_ones_are_trimmed() -> None:
    for lang in LANGUAGES:
        for key, template in CATALOGS.messages[lang].items():
            assert template.strip(), (lang, key)
            assert template == template.strip("\n"), (lang, key)


def test_every_policy_problem_key_has_a_message() -> None:
    nothing_right = GroupPolicy(
        timezone="Mars/Olympus",
        rest_days=frozenset(range(7)),
        urgent_quota_per_week=101,
        digest_times=(),
        ack_window_minutes=0,
        urgent_markers=(" ",),
        extra_rest_dates=frozenset({date(2026, 10, 8)}),
        extra_workdays=frozenset({date(2026, 10, 8)}),
    )
    problems = policy_problems(nothing_right)
    assert {p.key for p in problems} == {
        f"policy.error.{name}"
        for name in (
            "timezone",
            "rest_days",
            "quota",
            "digest_times",
            "ack_window",
            "empty_marker",
            "date_conflict",
        )
    }
    for problem in problems:
        for lang in LANGUAGES:
            message = CATALOGS.text(problem.key, lang, **problem.params)
            assert message != problem.key
            assert all(value in message for value in problem.params.values())


def test_text_fills_placeholders() -> None:
    assert CATALOGS.text("ack.tally", "zh-Hans", count=3, total=28) == "已确认 3/28"
    assert CATALOGS.text("ack.tally", "zh-Hant", count=3, total=28) == "已確認 3/28"
    assert CATALOGS.text("ack.tally", "en", count=3, total=28) == "Confirmed 3/28"


def test_acknowledgement_button_is_the_one_the_groups_know() -> None:
    assert CATALOGS.text("ack.button", "zh-Hans") == "✅ 收到"
    assert CATALOGS.text("ack.button", "zh-Hant") == "✅ 收到"


def test_instant_reply_reminder_quotes_the_rule() -> None:
    rule = "工作群组中不得脱离工作实际强制要求打卡接龙、即时响应"
    assert rule in CATALOGS.text("rule.instant_reply", "zh-Hans", marker="【紧急】")
    assert rule in CATALOGS.text("rule.instant_reply", "en", marker="[urgent]")
    traditional = CATALOGS.text("rule.instant_reply", "zh-Hant", marker="【緊急】")
    assert zhconv.convert(rule, "zh-tw") in traditional


def test_a_missing_parameter_is_an_error_naming_it() -> None:
    with pytest.raises(KeyError, match="total"):
        CATALOGS.text("ack.tally", "en", count=3)


def _write_catalogs(directory: Path, hans: str, hant: str = "", en: str = "") -> Catalogs:
    for lang, body in zip(LANGUAGES, (hans, hant, en), strict=True):
        (directory / f"{lang}.toml").write_text(body, encoding="utf-8")
    return load_catalogs(directory)


def test_missing_translation_falls_back_to_simplified_then_to_the_key(tmp_path: Path) -> None:
    catalogs = _write_catalogs(tmp_path, 'greeting = "你好,{name}"\n', en='other = "x"\n')
    assert catalogs.text("greeting", "en", name="小王") == "你好,小王"
    assert catalogs.text("greeting", "fr", name="小王") == "你好,小王"
    assert catalogs.text("no.such.key", "en") == "no.such.key"


def test_nested_tables_and_dotted_keys_are_the_same_key(tmp_path: Path) -> None:
    body = '[ack.toast]\nalready = "A"\n\n[rollcall]\n"button.join" = "B"\ntext = """\nC\n"""\n'
    catalogs = _write_catalogs(tmp_path, body)
    assert catalogs.text("ack.toast.already", "zh-Hans") == "A"
    assert catalogs.text("rollcall.button.join", "zh-Hans") == "B"
    assert catalogs.text("rollcall.text", "zh-Hans") == "C"


def test_a_non_string_entry_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"ack\.limit"):
        _write_catalogs(tmp_path, "[ack]\nlimit = 5\n")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-TW", "zh-Hant"),
        ("zh-hk", "zh-Hant"),
        ("zh_MO", "zh-Hant"),
        ("zh-Hant", "zh-Hant"),
        ("zh-hant-tw", "zh-Hant"),
        ("zh", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh-hans", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("en", "en"),
        ("en-GB", "en"),
        ("de", "zh-Hant"),
        ("", "zh-Hant"),
        (None, "zh-Hant"),
        ("eng", "zh-Hant"),
    ],
)
def test_language_follows_the_telegram_language_code(code: str | None, expected: str) -> None:
    assert language_for(code, default="zh-Hant") == expected


def test_an_unsupported_group_default_falls_back_to_simplified() -> None:
    assert language_for("fr", default="fr") == DEFAULT_LANGUAGE


def test_chinas_holidays_are_named_in_the_readers_language() -> None:
    from bot.platform.i18n import catalogs, holiday_label

    assert holiday_label(catalogs(), "Spring Festival", "zh-Hans") == "春节"
    assert holiday_label(catalogs(), "Mid-autumn Festival", "zh-Hant") == "中秋節"
    assert holiday_label(catalogs(), "New Year's Day", "en") == "New Year's Day"
    assert holiday_label(catalogs(), "Thanksgiving Day", "zh-Hans") == "Thanksgiving Day"
