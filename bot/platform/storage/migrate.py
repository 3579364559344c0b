"""Schema migrations from code: upgrade, downgrade, and the start-up check for the revision."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.platform.errors import FatalError
from bot.platform.storage.engine import create_engine, database_connection

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
MIGRATE_HINT = "run `jianfu migrate` (or `make migrate`)"

SCHEMA_REVISION = "0009"
"""The head of migrations/, named here so that starting the bot does not import Alembic (half a
second of its start-up); a test holds it equal to Alembic's head."""

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config built in code, so nothing depends on the working directory."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    if head is None:
        raise FatalError(f"no migrations found in {MIGRATIONS_DIR}: the checkout is incomplete")
    return head


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    return [script.revision for script in reversed(list(script_directory().walk_revisions()))]


async def upgrade(url: str, revision: str) -> None:
    from alembic import command  # heavy, and the running bot never migrates

    await _run_command(url, lambda config: command.upgrade(config, revision))


async def upgrade_to_head(url: str) -> None:
    await upgrade(url, "head")


async def downgrade(url: str, revision: str) -> None:
    from alembic import command

    await _run_command(url, lambda config: command.downgrade(config, revision))


def _stored_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision; None for a database never migrated."""
    async with database_connection(engine) as connection:
        return await connection.run_sync(_stored_revision)


async def ensure_at_head(engine: AsyncEngine) -> None:
    """Raise FatalError unless the database is at the revision this code expects."""
    current, expected = await current_revision(engine), SCHEMA_REVISION
    if current == expected:
        return
    if current is not None and current not in revisions():
        raise FatalError(
            f"database at revision {current}, which this code does not know (it expects "
            f"{expected}): a newer version migrated it; run that version or downgrade"
        )
    raise FatalError(
        f"database at revision {current or 'none (empty database)'}, the code expects "
        f"{expected}: {MIGRATE_HINT}"
    )


async def _run_command(url: str, run: Callable[[Config], None]) -> None:
    """Run an Alembic command on one connection, in one transaction (see migrations/env.py)."""
    engine = create_engine(url, sqlite_foreign_keys=False)
    try:
        async with database_connection(engine) as connection, connection.begin():
            await connection.run_sync(lambda sync: run(alembic_config(sync)))
    finally:
        await engine.dispose()
