"""Schema migrations from code: upgrade, downgrade, and the start-up check for the revision."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.platform.errors import FatalError
from bot.platform.storage.engine import create_engine, database_connection

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
MIGRATE_HINT = "run `jianfu migrate` (or `make migrate`)"


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's config built in code, so nothing depends on the working directory."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def script_directory() -> ScriptDirectory:
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


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision; None for a database never migrated."""
    async with database_connection(engine) as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def ensure_at_head(engine: AsyncEngine) -> None:
    """Raise FatalError unless the database is at the revision this code expects."""
    current, expected = await current_revision(engine), head_revision()
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
