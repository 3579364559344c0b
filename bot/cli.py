"""The `jianfu` command: run the bot, migrate, check a config, classify messages, report."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.platform.errors import FatalError
from bot.platform.i18n import LANGUAGES

if TYPE_CHECKING:
    from bot.platform.settings import Settings

DEFAULT_CONFIG = Path("config.toml")
REPORT_FORMATS = ("text", "html", "csv", "json")


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
    run = commands.add_parser("run", help="check the database, start the bot")
    run.add_argument(
        "--migrate",
        action="store_true",
        help="first upgrade the database to the current schema (once a token is set)",
    )
    commands.add_parser("migrate", help="upgrade the database to the current schema")
    check = commands.add_parser("check-config", help="validate a config file")
    check.add_argument("path", type=Path)
    classify = commands.add_parser("classify", help="label JSON lines {id, text}")
    classify.add_argument("file", nargs="?", type=Path, help="input file (default: stdin)")
    audit = commands.add_parser("audit", help="audit a Telegram Desktop export (JSON)")
    audit.add_argument("path", type=Path, help="the export's result.json or its folder")
    audit.add_argument("--timezone", help="the groups' IANA time zone (default: the config's)")
    audit.add_argument(
        "--jobs",
        type=int,
        help="processes to share the work (default: one per CPU for exports of 64 MB and more)",
    )
    report = commands.add_parser("report", help="report on the message log in the database")
    report.add_argument("--chat", type=int, help="one group's chat id (default: every group)")
    report.add_argument("--since", required=True, help="first day, YYYY-MM-DD")
    report.add_argument("--until", required=True, help="last day, YYYY-MM-DD (inclusive)")
    for reporting in (audit, report):
        # SUPPRESS: without the option here, the one given before the command still counts.
        reporting.add_argument("--config", default=argparse.SUPPRESS, help="TOML config")
        reporting.add_argument("--format", choices=REPORT_FORMATS, default="text")
        reporting.add_argument("--out", type=Path, help="write to this file (default: stdout)")
        reporting.add_argument("--lang", choices=LANGUAGES, help="language (default: config's)")
    return root


def run_command(args: argparse.Namespace) -> int:
    from bot.platform.settings import load_settings

    if args.command == "check-config":
        from bot.check_config import check_config

        return check_config(args.path, sys.stdout)
    if args.command == "classify":
        return classify_command(args.file)
    settings = load_settings(config_path(args.config), os.environ)
    if args.command in ("audit", "report"):
        return report_command(args, settings)
    if args.command == "migrate":
        migrate(settings)
        return 0
    if args.migrate:
        # Without a token the bot cannot start: say so before a database file is created.
        settings.telegram.require_token()
        migrate(settings)
    from bot.edge.runner import run_bot

    run_bot(settings)
    return 0


def migrate(settings: Settings) -> None:
    from bot.platform.storage.migrate import upgrade_to_head

    asyncio.run(upgrade_to_head(settings.database.url))


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


def report_command(args: argparse.Namespace, settings: Settings) -> int:
    from bot.platform.clock import SystemClock
    from bot.platform.i18n import catalogs

    now = SystemClock().now()
    lang = args.lang or settings.defaults.language
    if args.command == "audit":
        from bot.audit_cli import run_audit

        return run_audit(
            args.path,
            settings.defaults,
            catalogs(),
            timezone=args.timezone,
            fmt=args.format,
            out=args.out,
            lang=lang,
            today=now.date(),
            err=sys.stderr,
            jobs=args.jobs,
            duplicates=settings.duplicates,
        )
    from bot.report_cli import run_report

    return run_report(
        settings,
        catalogs(),
        chat_id=args.chat,
        since=args.since,
        until=args.until,
        fmt=args.format,
        out=args.out,
        lang=lang,
    )


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
