"""`jianfu check-config PATH`: validate a config file without starting anything."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from bot.platform.settings import ConfigError, load_settings


def check_config(path: Path, out: TextIO, env: Mapping[str, str] | None = None) -> int:
    """Validate the file at `path` (and `env` if given); print one result, return the exit code."""
    try:
        load_settings(path, env or {})
    except ConfigError as error:
        print(error, file=out)
        return error.exit_code
    print(f"ok: {path}", file=out)
    return 0
