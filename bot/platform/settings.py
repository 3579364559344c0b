"""Settings from config.toml and the environment: immutable, typed, one line per problem."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.platform.errors import FatalError
from bot.platform.i18n import LANGUAGES, text
from policies.group_policy import (
    WEEKDAY_NAMES,
    GroupPolicy,
    parse_hhmm,
    parse_quiet_window,
    parse_weekdays,
    policy_problems,
)
from policies.holiday_data import supported_holiday_calendar
from policies.report_scope import EVERY_GROUP, Scope

ENV_TOKEN = "JIANFU_BOT_TOKEN"
ENV_DATABASE_URL = "JIANFU_DATABASE_URL"
CONFIG_FILE_NAME = "config.toml"

TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
TELEGRAM_BASE_FILE_URL = "https://api.telegram.org/file/bot"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///jianfu.db"
DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_TOKEN = re.compile(r"^[0-9]+:[A-Za-z0-9_-]+$")
# Telegram's rule for the X-Telegram-Bot-Api-Secret-Token header.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_INSTANCE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class ConfigError(FatalError):
    """Invalid configuration: one line per problem, each naming the source and the dotted key."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems), exit_code=2)
        self.problems = tuple(problems)


@dataclass(frozen=True, slots=True)
class Secret:
    """A value never shown in repr, str or formatting; read `.value` only where it is used."""

    value: str = field(repr=False)

    def __str__(self) -> str:
        return "********"


class TelegramMode(StrEnum):
    POLLING = "polling"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True)
class TelegramSettings:
    token: Secret | None = None
    base_url: str = TELEGRAM_BASE_URL
    base_file_url: str = TELEGRAM_BASE_FILE_URL
    mode: TelegramMode = TelegramMode.POLLING
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_url: str | None = None
    webhook_secret_token: Secret | None = None
    admin_chat_id: int | None = None

    def require_token(self) -> str:
        """The bot token, or a FatalError saying how to get one and where to put it."""
        if self.token is None:
            raise ConfigError(
                [
                    "no bot token: talk to @BotFather in Telegram and send /newbot to get one, "
                    f'then put it in {CONFIG_FILE_NAME} under [telegram] as token = "…" '
                    f"or in the environment variable {ENV_TOKEN}"
                ]
            )
        return self.token.value


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = DEFAULT_DATABASE_URL

    def __repr__(self) -> str:
        return f"DatabaseSettings(url={make_url(self.url).render_as_string(hide_password=True)!r})"

    @property
    def password(self) -> str | None:
        return make_url(self.url).password


@dataclass(frozen=True, slots=True)
class Supervisor:
    user_id: int
    scope: Scope = EVERY_GROUP


@dataclass(frozen=True, slots=True)
class SupervisorSettings:
    people: tuple[Supervisor, ...] = ()

    def scope_of(self, user_id: int) -> Scope | None:
        """The groups `user_id` supervises; None when they are no supervisor."""
        return next((p.scope for p in self.people if p.user_id == user_id), None)


@dataclass(frozen=True, slots=True)
class RetentionSettings:
    message_text_days: int = 180


@dataclass(frozen=True, slots=True)
class DuplicateSettings:
    # Data objects beyond the built-in lexicon: canonical name -> the words people use for it.
    objects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    window_days: int = 90

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)


@dataclass(frozen=True, slots=True)
class InstanceSettings:
    # A stable name for this instance, unique among those sharing a database: a restarted
    # instance then takes back its outbox claims at once. None: host name and process id.
    id: str | None = None
    # PostgreSQL standby: seconds without the leader's heartbeat before a standby takes over.
    standby_grace_seconds: int = 30


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: str = "INFO"
    file: Path | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    defaults: GroupPolicy = field(default_factory=GroupPolicy)
    supervisors: SupervisorSettings = field(default_factory=SupervisorSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    duplicates: DuplicateSettings = field(default_factory=DuplicateSettings)
    instance: InstanceSettings = field(default_factory=InstanceSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    source: str = "built-in defaults"  # the config file read, for messages

    def secrets(self) -> tuple[str, ...]:
        """Every configured value that must never appear in logs or messages."""
        candidates = (
            self.telegram.token.value if self.telegram.token else None,
            self.telegram.webhook_secret_token.value
            if self.telegram.webhook_secret_token
            else None,
            self.database.password,
        )
        return tuple(secret for secret in candidates if secret)


def load_settings(path: Path | None, env: Mapping[str, str]) -> Settings:
    """Settings from the TOML file at `path` (None: defaults only) and the environment.

    Raises ConfigError naming the file, the dotted key and what was expected. A missing token
    is not an error here: see TelegramSettings.require_token.
    """
    source = str(path) if path is not None else "built-in defaults"
    data = _read_toml(path) if path is not None else {}
    problems = _Problems(source)
    root = _Table(problems, "", data)
    settings = Settings(
        telegram=_telegram(root.table("telegram"), env, problems),
        database=_database(root.table("database"), env, problems),
        defaults=_defaults(root.table("defaults")),
        supervisors=_supervisors(root),
        retention=_retention(root.table("retention")),
        duplicates=_duplicates(root.table("duplicates")),
        instance=_instance(root.table("instance")),
        logging=_logging(root.table("logging")),
        source=source,
    )
    root.report_unknown_keys()
    if problems.lines:
        raise ConfigError([_redacted(line, settings.secrets()) for line in problems.lines])
    return settings


def settings_for_api(
    base: Settings, *, token: str, base_url: str, base_file_url: str, database_url: str
) -> Settings:
    """`base` talking to another Bot API server (a test server) and storing in `database_url`."""
    return replace(
        base,
        telegram=TelegramSettings(
            token=Secret(token), base_url=base_url, base_file_url=base_file_url
        ),
        database=replace(base.database, url=database_url),
    )


def _redacted(line: str, secrets: Sequence[str]) -> str:
    """The line without any secret, should a value quoted in it carry one."""
    for secret in secrets:
        line = line.replace(secret, "********")
    return line


def _read_toml(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(
            [f"{path}: file not found; copy config.example.toml to {CONFIG_FILE_NAME} and edit it"]
        ) from None
    except OSError as error:
        raise ConfigError([f"{path}: cannot read the file ({error.strerror})"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text; save the file as UTF-8"]) from None
    except tomllib.TOMLDecodeError as error:
        # The decoder's message ends with "(at line L, column C)" and never quotes values.
        raise ConfigError([f"{path}: TOML syntax error: {error}"]) from None


class _Problems:
    """Problem lines in the order found, each "SOURCE: KEY: what was expected"."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, key: str, message: str, source: str | None = None) -> None:
        self.lines.append(f"{source or self.source}: {key}: {message}")


def _describe(value: object) -> str:
    """A TOML value's type and value for "got …", never used for secrets."""
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({_quoted(value)})"
    if isinstance(value, datetime | date | time):
        return f"a {type(value).__name__} ({value.isoformat()})"
    if isinstance(value, list):
        return "a list"
    return "a table"


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


_T = TypeVar("_T")
_E = TypeVar("_E", bound=StrEnum)
_MISSING = object()


class _Table:
    """One TOML table being read.

    Each getter records the key as known; a wrong value is recorded as a problem and the
    default returned, so that every problem in the file is reported at once.
    """

    def __init__(self, problems: _Problems, name: str, data: Mapping[str, object]) -> None:
        self.problems = problems
        self.name = name
        self._data = data
        self._known: list[str] = []
        self._tables: list[_Table] = []

    def key(self, key: str) -> str:
        return f"{self.name}.{key}" if self.name else key

    def problem(self, key: str, message: str) -> None:
        self.problems.add(self.key(key), message)

    def _get(self, key: str) -> object:
        self._known.append(key)
        return self._data.get(key, _MISSING)

    def _typed(
        self, key: str, check: Callable[[object], bool], expected: str, secret: bool
    ) -> object:
        value = self._get(key)
        if value is _MISSING or check(value):
            return value
        got = "" if secret else f", got {_describe(value)}"
        self.problem(key, f"expected {expected}{got}")
        return _MISSING

    def table(self, key: str) -> _Table:
        value = self._typed(key, lambda v: isinstance(v, dict), f"a table [{self.key(key)}]", False)
        sub = _Table(self.problems, self.key(key), value if isinstance(value, dict) else {})
        self._tables.append(sub)
        return sub

    def peek(self, key: str) -> object:
        """The value of `key` as TOML gave it (None when absent), without reading it."""
        return self._data.get(key)

    def raw(self, key: str) -> object:
        """The value of `key` as TOML gave it (_MISSING when absent), for a check of its own."""
        return self._get(key)

    def tables(self, key: str, expected: str) -> list[_Table]:
        """An array of tables ([[key]]), each named key[N] (counting from 1) in problems."""
        value = self._get(key)
        if value is _MISSING:
            return []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            self.problem(key, f"expected {expected}, got {_describe(value)}")
            return []
        subs = [_Table(self.problems, f"{self.key(key)}[{n}]", v) for n, v in enumerate(value, 1)]
        self._tables.extend(subs)
        return subs

    def names(self) -> list[str]:
        """Every key of a table whose keys are names the user chooses (all of them known)."""
        return list(self._data)

    def optional_string(self, key: str, *, secret: bool = False) -> str | None:
        value = self._typed(key, lambda v: isinstance(v, str), "a string", secret)
        return value if isinstance(value, str) else None

    def string(self, key: str, default: str) -> str:
        value = self.optional_string(key)
        return default if value is None else value

    def optional_integer(self, key: str) -> int | None:
        value = self._typed(key, _is_int, "an integer", False)
        return value if isinstance(value, int) else None  # _typed has turned booleans away

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.optional_integer(key)
        if value is None:
            return default
        if not low <= value <= high:
            self.problem(key, f"expected an integer from {low} to {high}, got {value}")
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self._typed(key, lambda v: isinstance(v, bool), "true or false", False)
        return value if isinstance(value, bool) else default

    def choice(self, key: str, default: _E) -> _E:
        kind = type(default)
        names = ", ".join(f'"{member.value}"' for member in kind)
        value = self.optional_string(key)
        if value is None:
            return default
        try:
            return kind(value.strip().lower())
        except ValueError:
            self.problem(key, f"expected one of {names}, got {_quoted(value)}")
            return default

    def items(
        self, key: str, check: Callable[[object], bool], expected: str, *, one_allowed: bool = False
    ) -> list[object] | None:
        """A list whose every item passes `check` (or one such item, when allowed), else None."""
        value = self._get(key)
        if value is _MISSING:
            return None
        if one_allowed and check(value):
            return [value]
        if isinstance(value, list) and all(check(item) for item in value):
            return value
        wrong = next((i for i in value if not check(i)), None) if isinstance(value, list) else value
        self.problem(key, f"expected {expected}, got {_describe(wrong)}")
        return None

    def strings(self, key: str, *, one_allowed: bool = False) -> list[str] | None:
        expected = "a string or a list of strings" if one_allowed else "a list of strings"
        found = self.items(key, lambda v: isinstance(v, str), expected, one_allowed=one_allowed)
        return None if found is None else [str(item) for item in found]

    def parsed(
        self,
        key: str,
        parse: Callable[[str], _T | None],
        expected: str,
        *,
        one_allowed: bool = False,
    ) -> list[_T] | None:
        """Each string of the list parsed; None (and a problem naming the bad item) on failure."""
        found = self.strings(key, one_allowed=one_allowed)
        if found is None:
            return None
        results = [parse(item) for item in found]
        bad = [item for item, result in zip(found, results, strict=True) if result is None]
        if bad:
            self.problem(key, f"expected {expected}, got {_quoted(bad[0])}")
            return None
        return [result for result in results if result is not None]

    def known_names(self) -> dict[str, str]:
        """Each known key's bare name and how to show it; at the top, the keys of every table too,
        because a key put in the wrong table is a common slip."""
        names = {sub_key: sub.key(sub_key) for sub in self._tables for sub_key in sub._known}
        return names | {key: f"[{key}]" if not self.name else self.key(key) for key in self._known}

    def report_unknown_keys(self) -> None:
        """A problem for every key no getter read: where it belongs when another table has it
        (`[defaults] token` belongs in [telegram]), else the close name it may mean."""
        homes: dict[str, list[str]] = {}
        for sub in self._tables:
            for sub_key in sub._known:
                homes.setdefault(sub_key, []).append(sub.name)
        self._report_unknown(homes)

    def _report_unknown(self, homes: Mapping[str, Sequence[str]]) -> None:
        for sub in self._tables:
            sub._report_unknown(homes)
        known = self.known_names()
        for key, value in self._data.items():
            if key in self._known:
                continue
            kind = "table" if isinstance(value, dict) else "key"
            elsewhere = [table for table in homes.get(key, ()) if table != self.name]
            if elsewhere and kind == "key":
                places = " or ".join(f"[{table}] ({table}.{key})" for table in elsewhere)
                self.problem(key, f"unknown key here; it belongs in {places}")
                continue
            close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
            hint = f"; did you mean {known[close[0]]}?" if close else ""
            self.problem(key, f"unknown {kind}{hint}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _file_url_for(base_url: str) -> str | None:
    """Telegram's file URL beside an API URL ending in /bot, or None when it cannot be derived."""
    return f"{base_url.removesuffix('/bot')}/file/bot" if base_url.endswith("/bot") else None


def _telegram(table: _Table, env: Mapping[str, str], problems: _Problems) -> TelegramSettings:
    base = TelegramSettings()
    token = (table.optional_string("token", secret=True) or "").strip()
    token_source = None
    if env.get(ENV_TOKEN, "").strip():
        token, token_source = env[ENV_TOKEN].strip(), "environment"
    if token and not _TOKEN.match(token):
        problems.add(
            ENV_TOKEN if token_source else table.key("token"),
            "expected the token @BotFather gave you: digits, a colon, then letters, digits, _ or -",
            token_source,
        )
    base_url = table.string("base_url", base.base_url).strip()
    if not _is_url(base_url):
        table.problem("base_url", f"expected an http(s) URL, got {_quoted(base_url)}")
        base_url = base.base_url
    base_file_url = table.optional_string("base_file_url") or _file_url_for(base_url)
    if base_file_url is None or not _is_url(base_file_url):
        table.problem(
            "base_file_url",
            'expected an http(s) URL; set it when base_url does not end with "/bot"',
        )
        base_file_url = base.base_file_url
    mode = table.choice("mode", base.mode)
    webhook_listen = table.string("webhook_listen", base.webhook_listen)
    webhook_port = table.integer("webhook_port", base.webhook_port, 1, 65535)
    webhook_url = table.optional_string("webhook_url")
    if webhook_url is not None and not _is_url(webhook_url):
        table.problem("webhook_url", f"expected an http(s) URL, got {_quoted(webhook_url)}")
    secret = table.optional_string("webhook_secret_token", secret=True)
    if secret is not None and not _WEBHOOK_SECRET.match(secret):
        table.problem("webhook_secret_token", "expected 1-256 characters from A-Z a-z 0-9 _ -")
    if mode is TelegramMode.WEBHOOK:
        if webhook_url is None:
            table.problem(
                "webhook_url", 'required when mode = "webhook": the public URL Telegram posts to'
            )
        if secret is None:
            table.problem(
                "webhook_secret_token",
                'required when mode = "webhook": 1-256 characters from A-Z a-z 0-9 _ -',
            )
    return TelegramSettings(
        token=Secret(token) if token else None,
        base_url=base_url,
        base_file_url=base_file_url,
        mode=mode,
        webhook_listen=webhook_listen,
        webhook_port=webhook_port,
        webhook_url=webhook_url,
        webhook_secret_token=Secret(secret) if secret else None,
        admin_chat_id=table.optional_integer("admin_chat_id"),
    )


def _database(table: _Table, env: Mapping[str, str], problems: _Problems) -> DatabaseSettings:
    url = table.string("url", DEFAULT_DATABASE_URL)
    key, source = table.key("url"), None
    if env.get(ENV_DATABASE_URL, "").strip():
        url, key, source = env[ENV_DATABASE_URL].strip(), ENV_DATABASE_URL, "environment"
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        driver = None
    if driver not in DATABASE_DRIVERS:
        got = f', got driver "{driver}"' if driver else ""
        problems.add(
            key,
            "expected sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/NAME" + got,
            source,
        )
        return DatabaseSettings()
    return DatabaseSettings(url)


def _holiday_calendar(table: _Table, default: str) -> str:
    value = table.string("holiday_calendar", default).strip()
    if supported_holiday_calendar(value):
        return value.lower() if value.lower() in ("cn", "none") else value.upper()
    table.problem(
        "holiday_calendar",
        f'expected "cn", "none" or a country code such as "HK", got {_quoted(value)}',
    )
    return default


def _defaults(table: _Table) -> GroupPolicy:
    base = GroupPolicy()
    windows = table.parsed(
        "quiet_hours",
        parse_quiet_window,
        '"HH:MM-HH:MM" with times from 00:00 to 23:59 and start different from end',
        one_allowed=True,
    )
    rest_days = table.parsed(
        "rest_days",
        lambda name: parse_weekdays([name]),
        f"weekday names ({' '.join(WEEKDAY_NAMES)})",
        one_allowed=True,
    )
    digest_times = table.parsed(
        "digest_times", parse_hhmm, '"HH:MM" times from 00:00 to 23:59', one_allowed=True
    )
    extra_rest = table.items(
        "extra_rest_dates", _is_date, "a list of dates like 2026-10-08 (no quotes)"
    )
    extra_work = table.items(
        "extra_workdays", _is_date, "a list of dates like 2026-10-08 (no quotes)"
    )
    markers = table.strings("urgent_markers")
    ack_words = table.strings("ack_words")
    exempt = table.items("exempt_user_ids", _is_int, "a list of integers")
    language = table.string("language", base.language)
    if language not in LANGUAGES:
        table.problem(
            "language",
            f"expected one of {', '.join(map(_quoted, LANGUAGES))}, got {_quoted(language)}",
        )
        language = base.language
    policy = GroupPolicy(
        timezone=table.string("timezone", base.timezone).strip(),
        quiet_windows=base.quiet_windows if windows is None else tuple(windows),
        rest_days=base.rest_days if rest_days is None else frozenset().union(*rest_days),
        holiday_calendar=_holiday_calendar(table, base.holiday_calendar),
        extra_rest_dates=base.extra_rest_dates if extra_rest is None else _dates(extra_rest),
        extra_workdays=base.extra_workdays if extra_work is None else _dates(extra_work),
        urgent_markers=base.urgent_markers if markers is None else tuple(markers),
        ack_words=base.ack_words if ack_words is None else tuple(ack_words),
        urgent_quota_per_week=table.integer(
            "urgent_quota_per_week", base.urgent_quota_per_week, 0, 100
        ),
        digest_times=base.digest_times
        if digest_times is None
        else tuple(sorted(set(digest_times))),
        digest=table.choice("digest", base.digest),
        mode=table.choice("mode", base.mode),
        exempt_user_ids=base.exempt_user_ids if exempt is None else _ints(exempt),
        admins_exempt=table.boolean("admins_exempt", base.admins_exempt),
        absorb_stray_acks=table.boolean("absorb_stray_acks", base.absorb_stray_acks),
        ack_window_minutes=table.integer(
            "ack_window_minutes", base.ack_window_minutes, 1, 7 * 24 * 60
        ),
        language=language,
        duplicates=table.boolean("duplicates", base.duplicates),
    )
    for problem in policy_problems(policy):
        table.problem(problem.field, text(problem.key, "en", **problem.params))
    return policy


def _dates(values: list[object]) -> frozenset[date]:
    return frozenset(value for value in values if isinstance(value, date))


def _ints(values: list[object]) -> frozenset[int]:
    return frozenset(value for value in values if isinstance(value, int))


def _supervisors(root: _Table) -> SupervisorSettings:
    """One [[supervisors]] table per person: user_id and chats ("all" or group chat ids).

    The earlier form, [supervisors] user_ids = [...], documented as "across all groups", is
    still read so: each id supervises every group.
    """
    value = root.peek("supervisors")
    if isinstance(value, dict) and set(value) - {"user_ids"}:
        root.raw("supervisors")
        root.problem(
            "supervisors",
            'expected one [[supervisors]] table per person, with user_id = … and chats = "all" '
            "or a list of group chat ids",
        )
        return SupervisorSettings()
    if isinstance(value, dict):
        table = root.table("supervisors")
        ids = table.items("user_ids", _is_int, "a list of Telegram user ids (integers)")
        return SupervisorSettings(tuple(Supervisor(i) for i in sorted(_ints(ids or []))))
    people: list[Supervisor] = []
    for table in root.tables("supervisors", "one [[supervisors]] table per supervisor"):
        person = _supervisor(table)
        if person is None:
            continue
        if any(p.user_id == person.user_id for p in people):
            table.problem(
                "user_id", f"{person.user_id} is listed twice; give each person one table"
            )
            continue
        people.append(person)
    return SupervisorSettings(tuple(people))


def _supervisor(table: _Table) -> Supervisor | None:
    """One supervisor's table; None (with the problem recorded) when it is not complete."""
    present = table.peek("user_id") is not None
    user_id = table.optional_integer("user_id")
    if not present or (user_id is not None and user_id <= 0):
        got = f", got {user_id}" if user_id is not None else ""
        table.problem(
            "user_id", f"expected the person's Telegram user id (a positive integer){got}"
        )
    chats = table.raw("chats")
    scope = _scope(table, chats)
    if user_id is None or user_id <= 0 or scope is None:
        return None
    return Supervisor(user_id, scope)


def _scope(table: _Table, chats: object) -> Scope | None:
    expected = 'expected "all" or a list of group chat ids (negative integers)'
    if chats == "all":
        return EVERY_GROUP
    if isinstance(chats, list) and chats and all(_is_int(c) and c < 0 for c in chats):
        return Scope(frozenset(_ints(chats)))
    if chats is _MISSING:
        got = "; say which groups this person may read"
    elif chats == []:
        got = ", got an empty list"
    else:
        wrong = (
            chats
            if not isinstance(chats, list)
            else next(c for c in chats if not (_is_int(c) and c < 0))
        )
        got = f", got {_describe(wrong)}"
    table.problem("chats", expected + got)
    return None


def _retention(table: _Table) -> RetentionSettings:
    default = RetentionSettings().message_text_days
    return RetentionSettings(table.integer("message_text_days", default, 1, 36500))


MAX_WINDOW_DAYS = 3660
MAX_ALIAS_CHARS = 64  # what the learned aliases' column holds, and longer than any real one


def _duplicates(table: _Table) -> DuplicateSettings:
    default = DuplicateSettings()
    window_days = table.integer("window_days", default.window_days, 1, MAX_WINDOW_DAYS)
    return DuplicateSettings(_data_objects(table), window_days)


def _data_objects(table: _Table) -> dict[str, tuple[str, ...]]:
    """[duplicates] objects = { name = [aliases] }: each name with a list of words (or one)."""
    found = table.table("objects")
    objects: dict[str, tuple[str, ...]] = {}
    for name in found.names():
        words = found.strings(name, one_allowed=True)
        if words is None:
            continue
        if not name.strip() or any(not word.strip() for word in words):
            found.problem(name, "expected a data object's name and its words, none of them empty")
        elif any(len(word) > MAX_ALIAS_CHARS for word in (name, *words)):
            found.problem(name, f"expected words of at most {MAX_ALIAS_CHARS} characters")
        else:
            objects[name.strip()] = tuple(word.strip() for word in words)
    return objects


def _instance(table: _Table) -> InstanceSettings:
    name = table.optional_string("id")
    if name is not None and not _INSTANCE_ID.match(name):
        table.problem(
            "id", f"expected 1-64 characters from A-Z a-z 0-9 . _ : -, got {_quoted(name)}"
        )
        name = None
    default = InstanceSettings().standby_grace_seconds
    grace = table.integer("standby_grace_seconds", default, 10, 3600)
    return InstanceSettings(name, grace)


def _logging(table: _Table) -> LoggingSettings:
    default = LoggingSettings().level
    level = table.string("level", default).strip().upper()
    if level not in LOG_LEVELS:
        table.problem("level", f"expected one of {', '.join(LOG_LEVELS)}, got {_quoted(level)}")
        level = default
    file = table.optional_string("file")
    return LoggingSettings(level=level, file=Path(file) if file else None)
