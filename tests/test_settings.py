import dataclasses
import io
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from bot.check_config import check_config
from bot.platform.errors import FatalError
from bot.platform.settings import (
    ConfigError,
    DatabaseSettings,
    LoggingSettings,
    RetentionSettings,
    Secret,
    Settings,
    Supervisor,
    SupervisorSettings,
    TelegramMode,
    TelegramSettings,
    load_settings,
)
from policies.group_policy import GroupPolicy, Mode, QuietWindow
from policies.report_scope import EVERY_GROUP, Scope

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.toml"
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _example_with(tmp_path: Path, old: str, new: str) -> Path:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    return _write(tmp_path, text.replace(old, new, 1))


def _problems(path: Path | None, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env or {})
    assert caught.value.exit_code == 2
    assert str(caught.value).splitlines() == list(caught.value.problems)
    return list(caught.value.problems)


def test_the_example_loads_and_documents_the_defaults() -> None:
    settings = load_settings(EXAMPLE, {})
    assert dataclasses.replace(settings, source="built-in defaults") == Settings()
    assert settings.telegram.token is None


def test_no_file_gives_the_defaults() -> None:
    settings = load_settings(None, {})
    assert settings == Settings()
    assert settings.defaults == GroupPolicy()
    assert settings.database.url == "sqlite+aiosqlite:///jianfu.db"
    assert settings.telegram.base_url == "https://api.telegram.org/bot"
    assert settings.telegram.base_file_url == "https://api.telegram.org/file/bot"
    assert settings.telegram.mode is TelegramMode.POLLING


def test_check_config_accepts_the_example() -> None:
    out = io.StringIO()
    assert check_config(EXAMPLE, out) == 0
    assert out.getvalue() == f"ok: {EXAMPLE}\n"


def test_check_config_names_quiet_hours_for_a_time_like_25_00(tmp_path: Path) -> None:
    path = _example_with(tmp_path, 'quiet_hours = "21:00-08:00"', 'quiet_hours = "25:00-08:00"')
    out = io.StringIO()
    assert check_config(path, out) == 2
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}: defaults.quiet_hours: expected")
    assert '"25:00-08:00"' in lines[0]


@pytest.mark.parametrize(
    ("old", "new", "key", "detail"),
    [
        (
            "quiet_hours =",
            "quiet_hour =",
            "defaults.quiet_hour",
            "did you mean defaults.quiet_hours",
        ),
        ("[defaults]", "[default]", "default", "unknown table; did you mean [defaults]"),
        (
            "urgent_quota_per_week = 3",
            'urgent_quota_per_week = "3"',
            "defaults.urgent_quota_per_week",
            'expected an integer, got a string ("3")',
        ),
        (
            "urgent_quota_per_week = 3",
            "urgent_quota_per_week = 300",
            "defaults.urgent_quota_per_week",
            "from 0 to 100",
        ),
        ("admins_exempt = false", "admins_exempt = 0", "defaults.admins_exempt", "true or false"),
        (
            'timezone = "Asia/Shanghai"',
            'timezone = "Asia/Shangai"',
            "defaults.timezone",
            "Asia/Shangai",
        ),
        ('mode = "enforce"', 'mode = "strict"', "defaults.mode", '"enforce", "advise", "off"'),
        ('"sat", "sun"', '"sat", "sonntag"', "defaults.rest_days", '"sonntag"'),
        (
            '"sat", "sun"',
            '"mon", "tue", "wed", "thu", "fri", "sat", "sun"',
            "defaults.rest_days",
            "at least one workday",
        ),
        (
            'digest_times = ["08:30"]',
            'digest_times = ["08:30", "8:61"]',
            "defaults.digest_times",
            '"8:61"',
        ),
        (
            'digest_times = ["08:30"]',
            "digest_times = []",
            "defaults.digest_times",
            "At least one digest time",
        ),
        (
            "extra_workdays = []",
            'extra_workdays = ["2026-10-10"]',
            "defaults.extra_workdays",
            "dates like 2026-10-08 (no quotes)",
        ),
        (
            "extra_workdays = []",
            "extra_workdays = [2026-10-10T09:00:00]",
            "defaults.extra_workdays",
            "dates like",
        ),
        (
            'holiday_calendar = "cn"',
            'holiday_calendar = "mars"',
            "defaults.holiday_calendar",
            '"mars"',
        ),
        ('language = "zh-Hans"', 'language = "fr"', "defaults.language", '"zh-Hant"'),
        (
            "exempt_user_ids = []",
            'exempt_user_ids = ["@boss"]',
            "defaults.exempt_user_ids",
            "list of integers",
        ),
        ('level = "INFO"', 'level = "LOUD"', "logging.level", "DEBUG, INFO"),
        (
            "message_text_days = 180",
            "message_text_days = 0",
            "retention.message_text_days",
            "from 1 to 36500",
        ),
        ('mode = "polling"', 'mode = "push"', "telegram.mode", '"polling", "webhook"'),
        ("webhook_port = 8443", "webhook_port = 70000", "telegram.webhook_port", "from 1 to 65535"),
        (
            'base_url = "https://api.telegram.org/bot"',
            'base_url = "api.telegram.org"',
            "telegram.base_url",
            "http(s) URL",
        ),
        (
            'url = "sqlite+aiosqlite:///jianfu.db"',
            'url = "sqlite:///jianfu.db"',
            "database.url",
            'driver "sqlite"',
        ),
        ("duplicates = true", 'duplicates = "yes"', "defaults.duplicates", "true or false"),
        ("window_days = 90", "window_days = 0", "duplicates.window_days", "from 1 to 3660"),
        ("objects = {}", "objects = []", "duplicates.objects", "a table [duplicates.objects]"),
        (
            "objects = {}",
            'objects = { "充电桩" = [1] }',
            "duplicates.objects.充电桩",
            "a string or a list of strings, got an integer (1)",
        ),
        (
            "objects = {}",
            'objects = { "充电桩" = ["充电站", " "] }',
            "duplicates.objects.充电桩",
            "none of them empty",
        ),
    ],
)
def test_a_bad_value_names_the_file_the_key_and_what_was_expected(
    tmp_path: Path, old: str, new: str, key: str, detail: str
) -> None:
    path = _example_with(tmp_path, old, new)
    problems = _problems(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: {key}: ")
    assert detail in problems[0]


def test_data_objects_and_the_window_from_the_config(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "[defaults]\nduplicates = false\n[duplicates]\nwindow_days = 30\n"
        'objects = { "充电桩" = ["充电设施", "充电站"], "电动车" = "电瓶车" }\n',
    )
    settings = load_settings(path, {})
    assert settings.defaults.duplicates is False
    assert settings.duplicates.window == timedelta(days=30)
    assert settings.duplicates.objects == {"充电桩": ("充电设施", "充电站"), "电动车": ("电瓶车",)}


def test_a_key_in_the_wrong_table_is_pointed_to_its_table(tmp_path: Path) -> None:
    path = _write(tmp_path, 'quiet_hours = "21:00-08:00"\n')
    assert _problems(path) == [
        f"{path}: quiet_hours: unknown key here; it belongs in [defaults] (defaults.quiet_hours)"
    ]


def test_a_key_in_another_table_says_where_it_belongs_without_its_value(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[telegram]\nquiet_hours = "21:00-08:00"\n'
        '[defaults]\ntoken = "123456:very-secret"\nquiet_hour = "21:00-08:00"\n'
        '[database]\nmode = "enforce"\n',
    )
    problems = _problems(path)
    assert problems == [
        f"{path}: telegram.quiet_hours: unknown key here; it belongs in [defaults]"
        " (defaults.quiet_hours)",
        f"{path}: database.mode: unknown key here; it belongs in [telegram] (telegram.mode)"
        " or [defaults] (defaults.mode)",
        f"{path}: defaults.token: unknown key here; it belongs in [telegram] (telegram.token)",
        f"{path}: defaults.quiet_hour: unknown key; did you mean defaults.quiet_hours?",
    ]
    assert not any("very-secret" in line for line in problems)


def test_a_section_that_is_not_a_table_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "defaults = 3\n")
    assert _problems(path) == [f"{path}: defaults: expected a table [defaults], got an integer (3)"]


def test_every_problem_is_reported_one_per_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[defaults]\nquiet_hours = "25:00-08:00"\ntimezone = "Nowhere/City"\nmode = "x"\n',
    )
    problems = _problems(path)
    assert [line.split(": ")[1] for line in problems] == [
        "defaults.quiet_hours",
        "defaults.mode",
        "defaults.timezone",
    ]


def test_a_toml_syntax_error_gives_the_file_and_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[telegram]\nmode = "polling"\nwebhook_port = \n')
    (line,) = _problems(path)
    assert line.startswith(f"{path}: TOML syntax error: ")
    assert "line 3" in line


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    (line,) = _problems(tmp_path / "absent.toml")
    assert line.startswith(f"{tmp_path / 'absent.toml'}: file not found")


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('[defaults]\ntimezone = "亚洲"\n'.encode("gbk"))
    (line,) = _problems(path)
    assert line == f"{path}: not UTF-8 text; save the file as UTF-8"


def test_config_error_is_a_fatal_error_with_exit_code_2() -> None:
    error = ConfigError(["x: y: z"])
    assert isinstance(error, FatalError)
    assert error.exit_code == 2


def test_quiet_hours_may_be_several_windows_and_values_are_typed(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[defaults]
quiet_hours = ["12:00-13:30", "21:00-08:00"]
rest_days = ["Sunday"]
holiday_calendar = "hk"
extra_rest_dates = [2026-12-31]
extra_workdays = [2026-10-10]
digest_times = ["17:30", "08:30", "08:30"]
mode = "Advise"
exempt_user_ids = [42, 1234567890123]
language = "en"

[supervisors]
user_ids = [7]

[logging]
level = "debug"
file = "jianfu.log"
""",
    )
    settings = load_settings(path, {})
    policy = settings.defaults
    assert policy.quiet_windows == (
        QuietWindow(time(12, 0), time(13, 30)),
        QuietWindow(time(21, 0), time(8, 0)),
    )
    assert policy.rest_days == frozenset({6})
    assert policy.holiday_calendar == "HK"
    assert policy.extra_rest_dates == frozenset({date(2026, 12, 31)})
    assert policy.extra_workdays == frozenset({date(2026, 10, 10)})
    assert policy.digest_times == (time(8, 30), time(17, 30))
    assert policy.mode is Mode.ADVISE
    assert policy.exempt_user_ids == frozenset({42, 1234567890123})
    assert policy.language == "en"
    assert settings.supervisors == SupervisorSettings((Supervisor(7, EVERY_GROUP),))
    assert settings.logging == LoggingSettings("DEBUG", Path("jianfu.log"))
    assert settings.retention == RetentionSettings(180)
    assert settings.source == str(path)


def test_no_quiet_hours_and_no_rest_days_are_allowed(tmp_path: Path) -> None:
    path = _write(tmp_path, "[defaults]\nquiet_hours = []\nrest_days = []\n")
    policy = load_settings(path, {}).defaults
    assert policy.quiet_windows == ()
    assert policy.rest_days == frozenset()


def test_settings_are_immutable() -> None:
    settings = load_settings(None, {})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.telegram.mode = TelegramMode.WEBHOOK  # type: ignore[misc]


def test_the_environment_overrides_token_and_database_url(tmp_path: Path) -> None:
    path = _write(
        tmp_path, '[telegram]\ntoken = "1:file"\n[database]\nurl = "sqlite+aiosqlite:///a.db"\n'
    )
    env = {
        "JIANFU_BOT_TOKEN": f" {TOKEN}\n",
        "JIANFU_DATABASE_URL": "postgresql+asyncpg://jianfu:pw@db/jianfu",
    }
    settings = load_settings(path, env)
    assert settings.telegram.require_token() == TOKEN
    assert settings.database.url == "postgresql+asyncpg://jianfu:pw@db/jianfu"
    assert load_settings(path, {"JIANFU_BOT_TOKEN": ""}).telegram.require_token() == "1:file"


def test_a_bad_environment_value_names_the_variable() -> None:
    problems = _problems(None, {"JIANFU_DATABASE_URL": "mysql://root@db/x"})
    assert problems[0].startswith("environment: JIANFU_DATABASE_URL: expected")


def test_a_missing_token_is_not_a_load_error_but_require_token_explains() -> None:
    settings = load_settings(EXAMPLE, {})
    with pytest.raises(FatalError) as caught:
        settings.telegram.require_token()
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    for hint in ("@BotFather", "/newbot", "[telegram]", "token", "JIANFU_BOT_TOKEN"):
        assert hint in message
    assert caught.value.exit_code != 0


def test_the_token_is_never_shown(tmp_path: Path) -> None:
    path = _write(
        tmp_path, f'[telegram]\ntoken = "{TOKEN}"\nwebhook_secret_token = "s3cr3t_hook"\n'
    )
    settings = load_settings(path, {})
    assert settings.telegram.require_token() == TOKEN
    for shown in (repr(settings), str(settings), f"{settings.telegram.token}"):
        assert TOKEN not in shown
        assert "s3cr3t_hook" not in shown
    assert settings.secrets() == (TOKEN, "s3cr3t_hook")


@pytest.mark.parametrize(
    "token_line",
    [
        'token = "not a token but secret-words"',
        "token = 1234567890",
        'token = ["123:abc"]',
    ],
)
def test_a_malformed_token_is_reported_without_its_value(tmp_path: Path, token_line: str) -> None:
    path = _write(tmp_path, f"[telegram]\n{token_line}\n")
    (line,) = _problems(path)
    assert line.startswith(f"{path}: telegram.token: expected")
    assert "secret-words" not in line
    assert "1234567890" not in line
    assert "123:abc" not in line


def test_a_malformed_token_from_the_environment_is_reported_without_its_value() -> None:
    (line,) = _problems(None, {"JIANFU_BOT_TOKEN": "secret words"})
    assert line.startswith("environment: JIANFU_BOT_TOKEN: expected")
    assert "secret" not in line.split("expected")[1].replace("@BotFather", "")


def test_the_database_password_is_not_in_repr_but_is_a_secret() -> None:
    settings = load_settings(None, {"JIANFU_DATABASE_URL": "postgresql+asyncpg://u:hunter2@db/j"})
    assert "hunter2" not in repr(settings)
    assert "hunter2" in settings.secrets()
    assert repr(DatabaseSettings("postgresql+asyncpg://u:hunter2@db/j")).count("***") == 1


def test_webhook_mode_needs_a_url_and_a_secret_token(tmp_path: Path) -> None:
    path = _example_with(tmp_path, 'mode = "polling"', 'mode = "webhook"')
    assert [line.split(": ")[1] for line in _problems(path)] == [
        "telegram.webhook_url",
        "telegram.webhook_secret_token",
    ]


def test_webhook_mode_with_its_settings(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[telegram]
mode = "webhook"
webhook_url = "https://bot.example.org/tg"
webhook_secret_token = "Abc_123-xyz"
webhook_port = 8080
admin_chat_id = -1001234567890
""",
    )
    telegram = load_settings(path, {}).telegram
    assert telegram.mode is TelegramMode.WEBHOOK
    assert telegram.webhook_url == "https://bot.example.org/tg"
    assert telegram.webhook_secret_token == Secret("Abc_123-xyz")
    assert telegram.webhook_port == 8080
    assert telegram.admin_chat_id == -1001234567890


@pytest.mark.parametrize("secret", ["has space", "x" * 257, "", "中文"])
def test_a_webhook_secret_outside_telegrams_alphabet_is_rejected(
    tmp_path: Path, secret: str
) -> None:
    path = _write(tmp_path, f'[telegram]\nwebhook_secret_token = "{secret}"\n')
    (line,) = _problems(path)
    assert (
        line
        == f"{path}: telegram.webhook_secret_token: expected 1-256 characters from A-Z a-z 0-9 _ -"
    )


def test_a_local_bot_api_server_gets_its_file_url(tmp_path: Path) -> None:
    path = _write(tmp_path, '[telegram]\nbase_url = "http://127.0.0.1:8081/bot"\n')
    telegram = load_settings(path, {}).telegram
    assert telegram.base_url == "http://127.0.0.1:8081/bot"
    assert telegram.base_file_url == "http://127.0.0.1:8081/file/bot"


def test_a_base_url_not_ending_in_bot_needs_a_file_url(tmp_path: Path) -> None:
    path = _write(tmp_path, '[telegram]\nbase_url = "http://127.0.0.1:8081/api/{token}"\n')
    (line,) = _problems(path)
    assert line.startswith(f"{path}: telegram.base_file_url: ")
    path = _write(
        tmp_path,
        '[telegram]\nbase_url = "http://h/api/"\nbase_file_url = "http://h/files/"\n',
    )
    assert load_settings(path, {}).telegram.base_file_url == "http://h/files/"


def test_require_token_returns_the_token() -> None:
    assert TelegramSettings(token=Secret(TOKEN)).require_token() == TOKEN


def test_a_token_pasted_into_another_key_is_masked_in_the_error(tmp_path: Path) -> None:
    path = _write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{TOKEN}"\n')
    (line,) = _problems(path)
    assert line.startswith(f"{path}: telegram.base_url: expected")
    assert TOKEN not in line


def test_each_supervisor_says_who_and_which_groups(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[supervisors]]
user_id = 11
chats = "all"

[[supervisors]]
user_id = 12
chats = [-1001234567890, -4321]
""",
    )
    supervisors = load_settings(path, {}).supervisors
    assert supervisors == SupervisorSettings(
        (Supervisor(11, EVERY_GROUP), Supervisor(12, Scope(frozenset({-1001234567890, -4321}))))
    )
    assert supervisors.scope_of(11) == EVERY_GROUP
    assert supervisors.scope_of(12) == Scope(frozenset({-1001234567890, -4321}))
    assert supervisors.scope_of(13) is None


def test_the_earlier_list_of_supervisors_still_reads_as_every_group(tmp_path: Path) -> None:
    path = _write(tmp_path, "[supervisors]\nuser_ids = [8, 7]\n")
    assert load_settings(path, {}).supervisors == SupervisorSettings(
        (Supervisor(7, EVERY_GROUP), Supervisor(8, EVERY_GROUP))
    )


@pytest.mark.parametrize(
    ("body", "key", "detail"),
    [
        ('user_id = 5\nchats = "some"', "supervisors[1].chats", 'got a string ("some")'),
        ("user_id = 5\nchats = []", "supervisors[1].chats", "got an empty list"),
        ("user_id = 5\nchats = [-1, 42]", "supervisors[1].chats", "got an integer (42)"),
        ("user_id = 5", "supervisors[1].chats", "say which groups this person may read"),
        ('chats = "all"', "supervisors[1].user_id", "Telegram user id (a positive integer)"),
        ('user_id = "@chief"\nchats = "all"', "supervisors[1].user_id", 'a string ("@chief")'),
        ('user_id = -5\nchats = "all"', "supervisors[1].user_id", "got -5"),
        ('user_id = 5\nchats = "all"\ngroups = [-1]', "supervisors[1].groups", "unknown key"),
    ],
)
def test_a_bad_supervisor_names_the_table_and_the_key(
    tmp_path: Path, body: str, key: str, detail: str
) -> None:
    path = _write(tmp_path, f"[[supervisors]]\n{body}\n")
    (problem,) = _problems(path)
    assert problem.startswith(f"{path}: {key}: ")
    assert detail in problem


def test_a_supervisor_listed_twice_is_a_problem(tmp_path: Path) -> None:
    table = '[[supervisors]]\nuser_id = 5\nchats = "all"\n'
    path = _write(tmp_path, table + table.replace('"all"', "[-1]"))
    assert _problems(path) == [
        f"{path}: supervisors[2].user_id: 5 is listed twice; give each person one table"
    ]


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("supervisors = 3\n", "expected one [[supervisors]] table per supervisor"),
        ("[supervisors]\nuser_ids = [1.5]\n", "a list of Telegram user ids"),
        ("[supervisors]\nuser_id = 5\n", "expected one [[supervisors]] table per person"),
    ],
)
def test_a_bad_supervisors_section_is_reported(tmp_path: Path, text: str, detail: str) -> None:
    (problem,) = _problems(_write(tmp_path, text))
    assert "supervisors" in problem.split(": ")[1]
    assert detail in problem
