"""Alembic environment: async engines, SQLite batch mode, or a connection the app hands in.

`bot.platform.storage.migrate` passes an open connection, already in a transaction, through
`config.attributes["connection"]`; the `alembic` command line builds its own engine from
JIANFU_DATABASE_URL or alembic.ini.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.platform.storage import create_engine, metadata
from bot.platform.storage.types import UTCDateTime

# One migration at a time across instances sharing a PostgreSQL database.
MIGRATION_LOCK_KEY = 0x6A69616E6675  # "jianfu"

config = context.config
if config.config_file_name is not None:  # the `alembic` command line, with alembic.ini
    fileConfig(config.config_file_name)


def database_url() -> str:
    url = os.environ.get("JIANFU_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("no database url: set JIANFU_DATABASE_URL or sqlalchemy.url")
    return url


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Migrations spell out plain SQLAlchemy types, so they never depend on changing app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run_migrations(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    configure(connection=connection, render_as_batch=is_sqlite)
    with context.begin_transaction():
        context.run_migrations()
    if is_sqlite:
        # Migrations run with foreign keys off (batch mode recreates tables): check them now,
        # inside the transaction, so a violation rolls the whole migration back.
        violations = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if violations:
            raise RuntimeError(f"migration left rows violating foreign keys: {violations[:5]}")


async def run_standalone() -> None:
    engine = create_engine(database_url(), sqlite_foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    configure(url=database_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()
elif (shared := config.attributes.get("connection")) is not None:
    run_migrations(shared)
else:
    asyncio.run(run_standalone())
