import ast
import io
import re
import string
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import zhconv
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from bot.platform.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    PLURAL_PARAM,
    Catalogs,
    catalog_path,
    catalogs,
    holiday_label,
    language_for,
    load_catalogs,
    locale_name,
    placeholders,
)
from bot.platform.policy_text import weekdays_text, when_text
from policies.calendar import QuietReason
from policies.group_policy import GroupPolicy, Mode, policy_problems

REPO = Path(__file__).resolve().parents[1]
CATALOGS = load_catalogs()


def _source(lang: str) -> Catalog:
    """The PO catalog translators edit."""
    with catalog_path(lang, suffix=".po").open("rb") as file:
        return read_po(file)


def _forms(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """Each message id with its text, or its plural forms."""
    forms: dict[str, tuple[str, ...]] = {}
    for message in catalog:
        if not message.id:
            continue  # the header
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        texts = [message.string] if isinstance(message.string, str) else message.string or []
        forms[ids[0]] = tuple(texts)
    return forms


SOURCES = {lang: _source(lang) for lang in LANGUAGES}
MESSAGES = {lang: _forms(catalog) for lang, catalog in SOURCES.items()}
KEYS = sorted(MESSAGES[DEFAULT_LANGUAGE])
PLURAL_KEYS = sorted(
    message.id[0] for message in SOURCES[DEFAULT_LANGUAGE] if not isinstance(message.id, str)
)


def test_every_catalog_has_the_same_keys() -> None:
    reference = MESSAGES[DEFAULT_LANGUAGE].keys()
    assert len(reference) > 100
    for lang in LANGUAGES:
        assert MESSAGES[lang].keys() == reference, lang


@pytest.mark.parametrize("key", KEYS)
def test_every_language_has_the_same_placeholders(key: str) -> None:
    expected = placeholders(MESSAGES[DEFAULT_LANGUAGE][key][0])
    for lang in LANGUAGES:
        for form in MESSAGES[lang][key]:
            assert placeholders(form) == expected, lang


def test_plural_messages_are_plural_everywhere_with_a_form_per_plural_category() -> None:
    assert {"release.header", "release.header_part", "urgent.over_quota"} <= set(PLURAL_KEYS)
    for lang, catalog in SOURCES.items():
        plural = {m.id[0] for m in catalog if not isinstance(m.id, str)}
        assert plural == set(PLURAL_KEYS), lang
        for key in PLURAL_KEYS:
            assert len(MESSAGES[lang][key]) == catalog.num_plurals, (lang, key)
            assert PLURAL_PARAM in placeholders(MESSAGES[lang][key][0]), (lang, key)
    assert SOURCES["en"].num_plurals == 2
    assert SOURCES["zh-Hans"].num_plurals == SOURCES["zh-Hant"].num_plurals == 1


def _sample(field: str, spec: str, count: int) -> object:
    """A value for a placeholder: a moment for a CLDR pattern, a number for count, else text."""
    if spec:
        return datetime(2026, 11, 23, 8, 5, tzinfo=UTC)
    return count if field == PLURAL_PARAM else "x"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("count", [1, 2])
def test_every_message_writes_out_with_its_dates_and_plurals(lang: str, count: int) -> None:
    for key in KEYS:
        fields = string.Formatter().parse(MESSAGES[lang][key][0])
        params = {name: _sample(name, spec or "", count) for _, name, spec, _ in fields if name}
        written = CATALOGS.text(key, lang, **params)
        assert "{" not in written and written.strip(), (lang, key)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalogs_are_the_sources(lang: str) -> None:
    """The bot reads the MO files: after editing a PO file, run
    .venv/bin/pybabel compile -d bot/platform/locales -D jianfu"""
    with catalog_path(lang).open("rb") as file:
        compiled = read_mo(file)
    translated = {k: v for k, v in MESSAGES[lang].items() if all(v)}
    assert _forms(compiled) == translated
    assert compiled.plural_forms == SOURCES[lang].plural_forms


def _code_strings() -> list[tuple[str, ast.AST]]:
    """Every string literal and f-string in bot/ and policies/, with the file it is in."""
    found: list[tuple[str, ast.AST]] = []
    for package in ("bot", "policies"):
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += [(str(path.relative_to(REPO)), node) for node in ast.walk(tree)]
    return found


KEY_LITERAL = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+")
KEY_PREFIX = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)*\.")
FAMILIES = {key.split(".")[0] for key in KEYS}


def test_every_message_key_in_the_code_is_in_the_catalogs() -> None:
    """Literal keys ("ack.toast.recorded", or a family such as "rollcall.button" that code
    completes) and f-string key families (f"release.media.{kind}") name catalog messages."""
    literals: set[tuple[str, str]] = set()
    families: set[tuple[str, str]] = set()
    for where, node in _code_strings():
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if KEY_LITERAL.fullmatch(node.value) and node.value.split(".")[0] in FAMILIES:
                literals.add((where, node.value))
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and KEY_PREFIX.fullmatch(first.value)
                and first.value.split(".")[0] in FAMILIES
            ):
                families.add((where, first.value))
    assert len(literals) > 50 and len(families) > 5
    unknown = [
        (where, key)
        for where, key in literals
        if key not in MESSAGES[DEFAULT_LANGUAGE] and not any(k.startswith(key + ".") for k in KEYS)
    ]
    assert unknown == []
    empty = [(w, prefix) for w, prefix in families if not any(k.startswith(prefix) for k in KEYS)]
    assert empty == []


def test_key_families_cover_the_values_the_rules_give() -> None:
    for mode in Mode:
        assert f"policy.mode.{mode}" in KEYS
    for reason in QuietReason:
        assert f"hold.reason.{reason}" in KEYS


@pytest.mark.parametrize("key", KEYS)
def test_traditional_text_uses_traditional_characters(key: str) -> None:
    for form in MESSAGES["zh-Hant"][key]:
        # 村里 are Taiwan's villages and urban wards; the converter takes 里 for 裡 (inside).
        characters = form.replace("村里", "")
        assert zhconv.convert(characters, "zh-tw") == characters


# What zh-Hans says and how Taiwan and Hong Kong officials write it (not what a converter makes).
TAIWAN_HONG_KONG_USAGE = (
    ("发布", "發布"),
    ("回复", "回覆"),
    ("周", "週"),
    ("群设置", "群組設定"),
    ("设置", "設定"),
    ("消息", "訊息"),
    ("工作信息", "工作訊息"),
    ("[文件]", "[檔案]"),
    ("[视频]", "[影片]"),
    ("音频", "音訊"),
    ("用户", "使用者"),
    ("私信", "私訊"),
    ("私聊", "私訊"),
    ("联系", "聯絡"),
    ("屏蔽", "封鎖"),
    ("刷屏", "洗版"),
    ("命令", "指令"),
    ("节假日", "假日"),
    ("调休上班日", "補行上班日"),
    ("丢失", "遺失"),
    ("获取", "取得"),
    ("点击", "按"),
)
# Mainland usage, and converter output, that zh-Hant never writes.
NOT_TRADITIONAL_USAGE = (
    "釋出",  # a converter's 发布
    "回復",
    "周",
    "設置",
    "消息",
    "信息",
    "[文件]",
    "視頻",
    "音頻",
    "用戶",
    "短信",
    "私信",
    "私聊",
    "聯繫",
    "屏蔽",
    "刷屏",
    "命令",
    "節假日",
    "調休",
    "丟失",
    "獲取",
    "點擊",
    "不幹預",  # a converter's 不干预
    "群裡",
    "條訊息",
)


@pytest.mark.parametrize("key", KEYS)
def test_traditional_text_is_written_as_taiwan_and_hong_kong_write(key: str) -> None:
    simplified = "".join(MESSAGES["zh-Hans"][key])
    for form in MESSAGES["zh-Hant"][key]:
        for mainland, local in TAIWAN_HONG_KONG_USAGE:
            if mainland in simplified:
                assert local in form, mainland
        for phrase in NOT_TRADITIONAL_USAGE:
            assert phrase not in form
        # Full-width punctuation beside Chinese characters, as in 「{group}」的規則：
        assert not re.search(r"[\u4e00-\u9fff][,:;!?()]|[,:;!?()][\u4e00-\u9fff]", form)


def test_simplified_text_has_no_traditional_characters() -> None:
    for key, forms in MESSAGES["zh-Hans"].items():
        for template in forms:
            assert zhconv.convert(template, "zh-cn") == template, key


def test_templates_are_not_empty_and_multiline_ones_are_trimmed() -> None:
    for lang in LANGUAGES:
        for key, forms in MESSAGES[lang].items():
            for template in forms:
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


def test_plural_forms_follow_the_count() -> None:
    one = CATALOGS.text("release.header", "en", count=1)
    two = CATALOGS.text("release.header", "en", count=2)
    assert "1 message:" in one and "2 messages," in two
    assert "1 条" in CATALOGS.text("release.header", "zh-Hans", count=1)
    assert "21 則" in CATALOGS.text("release.header", "zh-Hant", count=21)
    over = {"group": "G", "release_at": "tomorrow at 08:00"}
    assert "the 1 urgent message allowed" in CATALOGS.text(
        "urgent.over_quota", "en", count=1, **over
    )
    assert "all 3 urgent messages" in CATALOGS.text("urgent.over_quota", "en", count=3, **over)


def test_a_plural_message_needs_a_whole_number_count() -> None:
    with pytest.raises(KeyError, match="count"):
        CATALOGS.text("release.header", "en")
    with pytest.raises(TypeError, match="count"):
        CATALOGS.text("release.header", "en", count="3")


NOW = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)  # Thursday 19 November, 00:00 in Shanghai


@pytest.mark.parametrize(
    ("lang", "today", "tomorrow", "monday"),
    [
        ("zh-Hans", "今天 21:30", "明天 08:00", "11月23日(周一)08:00"),
        ("zh-Hant", "今天 21:30", "明天 08:00", "11月23日（週一）08:00"),
        ("en", "today at 21:30", "tomorrow at 08:00", "Mon 23 Nov at 08:00"),
    ],
)
def test_times_are_written_as_the_reader_says_them(
    lang: str, today: str, tomorrow: str, monday: str
) -> None:
    def when(instant: datetime) -> str:
        return when_text(CATALOGS, lang, instant, "Asia/Shanghai", NOW)

    assert when(datetime(2026, 11, 19, 13, 30, tzinfo=UTC)) == today
    assert when(datetime(2026, 11, 20, 0, 0, tzinfo=UTC)) == tomorrow
    assert when(datetime(2026, 11, 23, 0, 0, tzinfo=UTC)) == monday


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh-Hans", "周一、周六、周日"),
        ("zh-Hant", "週一、週六、週日"),
        ("en", "Monday, Saturday, Sunday"),
    ],
)
def test_weekdays_are_named_in_the_readers_language(lang: str, expected: str) -> None:
    assert weekdays_text(CATALOGS, lang, frozenset({6, 0, 5})) == expected


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
    """PO bodies compiled as pybabel compile would."""
    for lang, body in zip(LANGUAGES, (hans, hant, en), strict=True):
        path = catalog_path(lang, directory)
        path.parent.mkdir(parents=True)
        with path.open("wb") as file:
            write_mo(file, read_po(io.StringIO(body), locale=locale_name(lang)))
    return load_catalogs(directory)


def test_missing_translation_falls_back_to_simplified_then_to_the_key(tmp_path: Path) -> None:
    catalogs = _write_catalogs(
        tmp_path,
        'msgid "greeting"\nmsgstr "你好,{name}"\n',
        en='msgid "greeting"\nmsgstr ""\n\nmsgid "other"\nmsgstr "x"\n',
    )
    assert catalogs.text("greeting", "en", name="小王") == "你好,小王"
    assert catalogs.text("greeting", "fr", name="小王") == "你好,小王"
    assert catalogs.text("no.such.key", "en") == "no.such.key"


def test_a_fuzzy_translation_is_not_used(tmp_path: Path) -> None:
    fuzzy = '#, fuzzy\nmsgid "greeting"\nmsgstr "Hi"\n'
    catalogs = _write_catalogs(tmp_path, 'msgid "greeting"\nmsgstr "你好"\n', en=fuzzy)
    assert catalogs.text("greeting", "en") == "你好"


def test_a_multiline_message_keeps_its_lines(tmp_path: Path) -> None:
    body = 'msgid "rollcall.text"\nmsgstr ""\n"A\\n"\n"\\n"\n"B"\n'
    assert _write_catalogs(tmp_path, body).text("rollcall.text", "zh-Hans") == "A\n\nB"


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
        ("zh-Hans-HK", "zh-Hans"),
        ("en", "en"),
        ("en-GB", "en"),
        ("EN_us", "en"),
        ("de", "en"),
        ("ja", "en"),
        ("eng", "en"),
        ("", "zh-Hant"),
        ("  ", "zh-Hant"),
        (None, "zh-Hant"),
    ],
)
def test_language_follows_the_telegram_language_code(code: str | None, expected: str) -> None:
    assert language_for(code, default="zh-Hant") == expected


def test_an_unsupported_group_default_falls_back_to_simplified() -> None:
    assert language_for(None, default="fr") == DEFAULT_LANGUAGE
    assert language_for("fr", default="fr") == "en"


def test_chinas_holidays_are_named_in_the_readers_language() -> None:
    assert holiday_label(catalogs(), "Spring Festival", "zh-Hans") == "春节"
    assert holiday_label(catalogs(), "Mid-autumn Festival", "zh-Hant") == "中秋節"
    assert holiday_label(catalogs(), "New Year's Day", "en") == "New Year's Day"
    assert holiday_label(catalogs(), "Thanksgiving Day", "zh-Hans") == "Thanksgiving Day"
