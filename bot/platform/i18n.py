"""User-facing text: message catalogs in bot/locales/*.toml, looked up by key and language."""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

DEFAULT_LANGUAGE = "zh-Hans"
LANGUAGES = ("zh-Hans", "zh-Hant", "en")
LOCALES_DIR = Path(__file__).with_name("locales")

# Telegram's language_code is an IETF tag; these regions read Traditional characters.
_TRADITIONAL_TAGS = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def placeholders(template: str) -> frozenset[str]:
    """The {names} a template expects."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    """Nested tables as dotted keys: [policy.error] timezone -> policy.error.timezone."""
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat |= _flatten(value, f"{key}.")
        elif isinstance(value, str):
            # A multi-line TOML string ends with the newline before its closing quotes.
            flat[key] = value.strip("\n")
        else:
            raise ValueError(f"catalog entry {key} must be a string, not {type(value).__name__}")
    return flat


@dataclass(frozen=True, slots=True)
class Catalogs:
    """Templates by language, then by dotted key."""

    messages: Mapping[str, Mapping[str, str]]

    def keys(self, lang: str) -> frozenset[str]:
        return frozenset(self.messages.get(lang, {}))

    def template(self, key: str, lang: str) -> str:
        """The template in `lang`, else in the default language, else the key itself."""
        for candidate in (lang, DEFAULT_LANGUAGE):
            found = self.messages.get(candidate, {}).get(key)
            if found is not None:
                return found
        return key

    def text(self, key: str, lang: str, /, **params: object) -> str:
        """The message `key` in `lang` with its {placeholders} filled from params."""
        template = self.template(key, lang)
        missing = placeholders(template) - params.keys()
        if missing:
            raise KeyError(f"message {key} ({lang}) needs {', '.join(sorted(missing))}")
        return template.format_map(params)


def load_catalogs(directory: Path = LOCALES_DIR) -> Catalogs:
    """Every LANGUAGES catalog from `directory` (one TOML file per language)."""
    messages: dict[str, Mapping[str, str]] = {}
    for lang in LANGUAGES:
        with (directory / f"{lang}.toml").open("rb") as file:
            messages[lang] = MappingProxyType(_flatten(tomllib.load(file)))
    return Catalogs(MappingProxyType(messages))


@cache
def catalogs() -> Catalogs:
    """The bundled catalogs, read once per process."""
    return load_catalogs()


def text(key: str, lang: str, /, **params: object) -> str:
    """The bundled message `key` in `lang`; see Catalogs.text."""
    return catalogs().text(key, lang, **params)


def holiday_label(catalogs: Catalogs, name: str, lang: str) -> str:
    """A holiday's name in `lang` when the catalogs know it (China's), else as the data gives it."""
    key = "holiday." + re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return catalogs.text(key, lang) if key in catalogs.keys(lang) else name


def language_for(language_code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The catalog language for a Telegram user's language_code, else the group's `default`."""
    code = (language_code or "").strip().lower().replace("_", "-")
    if code.startswith(_TRADITIONAL_TAGS):
        return "zh-Hant"
    if code == "zh" or code.startswith("zh-"):
        return "zh-Hans"
    if code == "en" or code.startswith("en-"):
        return "en"
    return default if default in LANGUAGES else DEFAULT_LANGUAGE
