"""User-facing text: gettext catalogs in bot/platform/locales, looked up by message id and language.

Translators edit the PO files (locales/<zh_Hans|zh_Hant|en>/LC_MESSAGES/jianfu.po); the bot reads
the MO files compiled from them with the standard library's gettext, so nothing is parsed at
start-up. A message's `{count}` picks its plural form; `{when:EEE d MMM}` writes a date or time by
a CLDR pattern in the reader's locale (Babel).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from gettext import GNUTranslations
from pathlib import Path

DEFAULT_LANGUAGE = "zh-Hans"
LANGUAGES = ("zh-Hans", "zh-Hant", "en")
LOCALES_DIR = Path(__file__).with_name("locales")
DOMAIN = "jianfu"
# The parameter whose number picks a plural message's form (gettext's n).
PLURAL_PARAM = "count"

# Telegram's language_code is an IETF tag; these regions read Traditional characters.
_TRADITIONAL_TAGS = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def locale_name(lang: str) -> str:
    """The Babel/gettext locale of a catalog language: zh-Hans -> zh_Hans."""
    return lang.replace("-", "_")


def catalog_path(lang: str, directory: Path = LOCALES_DIR, suffix: str = ".mo") -> Path:
    """Where a language's compiled catalog (or, with suffix ".po", its source) lives."""
    return directory / locale_name(lang) / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def placeholders(template: str) -> frozenset[str]:
    """The {names} a template expects."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


@dataclass(frozen=True, slots=True)
class _Moment:
    """A date or time that a message writes by the CLDR pattern in its placeholder."""

    value: date
    locale: str

    def __format__(self, pattern: str) -> str:
        # Babel and its CLDR data load at the first date a message writes, not at start-up.
        from babel.dates import format_date, format_datetime

        if isinstance(self.value, datetime):
            return format_datetime(self.value, pattern or "medium", locale=self.locale)
        return format_date(self.value, pattern or "medium", locale=self.locale)


@dataclass(frozen=True, slots=True)
class Catalogs:
    """The compiled catalogs of every language in `directory`, each read at its first use."""

    directory: Path = LOCALES_DIR
    _read: dict[str, GNUTranslations] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def _translations(self, lang: str) -> GNUTranslations | None:
        if lang not in LANGUAGES:
            return None
        if lang not in self._read:
            with catalog_path(lang, self.directory).open("rb") as file:
                self._read[lang] = GNUTranslations(file)
        return self._read[lang]

    def find(self, key: str, lang: str, count: int | None = None) -> str | None:
        """The template of `key` in `lang` (its plural form for `count`), or None."""
        translations = self._translations(lang)
        if translations is None:
            return None
        # gettext answers the id itself for a message it does not hold.
        if count is not None:
            plural = translations.ngettext(key, key, count)
            if plural != key:
                return plural
        found = translations.gettext(key)
        return found if found != key else None

    def template(self, key: str, lang: str, count: int | None = None) -> tuple[str, str]:
        """The template and its language: in `lang`, else in the default language, else the key."""
        for candidate in (lang, DEFAULT_LANGUAGE):
            found = self.find(key, candidate, count)
            if found is not None:
                return found, candidate
        return key, lang

    def text(self, key: str, lang: str, /, **params: object) -> str:
        """The message `key` in `lang` with its {placeholders} filled from params."""
        count = params.get(PLURAL_PARAM)
        if count is not None and not isinstance(count, int):
            raise TypeError(f"message {key} ({lang}): {PLURAL_PARAM} must be a whole number")
        template, found_in = self.template(key, lang, count)
        missing = placeholders(template) - params.keys()
        if missing:
            raise KeyError(f"message {key} ({lang}) needs {', '.join(sorted(missing))}")
        locale = locale_name(found_in)
        return template.format_map(
            {
                name: _Moment(value, locale) if isinstance(value, date) else value
                for name, value in params.items()
            }
        )


def load_catalogs(directory: Path = LOCALES_DIR) -> Catalogs:
    """The LANGUAGES catalogs compiled in `directory` (read lazily, one MO file per language)."""
    return Catalogs(directory)


@cache
def catalogs() -> Catalogs:
    """The bundled catalogs, each language read once per process."""
    return load_catalogs()


def text(key: str, lang: str, /, **params: object) -> str:
    """The bundled message `key` in `lang`; see Catalogs.text."""
    return catalogs().text(key, lang, **params)


def holiday_label(catalogs: Catalogs, name: str, lang: str) -> str:
    """A holiday's name in `lang` when the catalogs know it (China's), else as the data gives it."""
    key = "holiday." + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return catalogs.find(key, lang) or name


def language_for(language_code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The catalog language for a Telegram user's language_code; without one, the `default`.

    zh-Hant, zh-TW, zh-HK and zh-MO read Traditional, any other zh Simplified; another language
    reads its own catalog when there is one, else English.
    """
    code = (language_code or "").strip().lower().replace("_", "-")
    if not code:
        return default if default in LANGUAGES else DEFAULT_LANGUAGE
    primary = code.split("-")[0]
    if primary == "zh":
        return "zh-Hant" if code.startswith(_TRADITIONAL_TAGS) else "zh-Hans"
    return next((lang for lang in LANGUAGES if lang.lower() == primary), "en")
