"""The `jianfu` command: run the bot, migrate, check a config, classify messages."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.platform.errors import FatalError

DEFAULT_CONFIG = Path("config.toml")


def config_path(explicit: str | None) -> Path | None:
    """The config file to read: --config, then $JIANFU_CONFIG, then ./config.toml when present."""
    if explicit:
        return Path(explicit)
    if env_path := os.environ.get("JIANFU_CONFIG"):
        return Path(env_path)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="jianfu", description="减负 — work-group notification bot")
    root.add_argument("--config", help="TOML config (default: $JIANFU_CONFIG or ./config.toml)")
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="migrate nothing, check the database, start the bot")
    commands.add_parser("migrate", help="upgrade the database to the current schema")
    check = commands.add_parser("check-config", help="validate a config file")
    check.add_argument("path", type=Path)
    classify = commands.add_parser("classify", help="label JSON lines {id, text}")
    classify.add_argument("file", nargs="?", type=Path, help="input file (default: stdin)")
    return root


def run_command(args: argparse.Namespace) -> int:
    from bot.platform.settings import load_settings

    if args.command == "check-config":
        from bot.check_config import check_config

        return check_config(args.path, sys.stdout)
    if args.command == "classify":
        return classify_command(args.file)
    settings = load_settings(config_path(args.config), os.environ)
    if args.command == "migrate":
        from bot.platform.storage.migrate import upgrade_to_head

        asyncio.run(upgrade_to_head(settings.database.url))
        return 0
    from bot.edge.runner import run_bot

    run_bot(settings)
    return 0


def classify_command(file: Path | None) -> int:
    from bot.classify_cli import run_classify
    from bot.platform.clock import SystemClock

    now = SystemClock().now()
    try:
        if file is None:
            # Undecodable bytes become U+FFFD: that line is classified (or reported), not fatal.
            sys.stdin.reconfigure(encoding="utf-8", errors="replace")  # type: ignore[union-attr]
            return run_classify(sys.stdin, sys.stdout, sys.stderr, now)
        with file.open(encoding="utf-8", errors="replace") as infile:
            return run_classify(infile, sys.stdout, sys.stderr, now)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do; the pattern from
        # Python's signal docs keeps the interpreter's final flush from failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:
        raise FatalError(
            f"cannot read {file}: {error.strerror}; give a readable JSON-lines file"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return run_command(args)
    except FatalError as error:
        print(f"jianfu: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
