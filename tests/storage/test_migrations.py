"""The migration history: every step reversible on both databases, and the models match it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.platform.errors import FatalError
from bot.platform.storage import create_engine, metadata
from bot.platform.storage.migrate import (
    SCHEMA_REVISION,
    current_revision,
    downgrade,
    ensure_at_head,
    head_revision,
    revisions,
    script_directory,
    upgrade,
    upgrade_to_head,
)

Schema = dict[str, dict[str, list[str]]]


def schema_snapshot(connection: Connection) -> Schema:
    """Tables with their columns, indexes, unique and foreign keys, as comparable text."""
    inspector = inspect(connection)
    return {
        table: {
            "columns": [
                f"{c['name']} {c['type']} null={c['nullable']}"
                for c in inspector.get_columns(table)
            ],
            "indexes": sorted(str(i["name"]) for i in inspector.get_indexes(table)),
            "unique": sorted(str(u["name"]) for u in inspector.get_unique_constraints(table)),
            "foreign_keys": sorted(str(f["name"]) for f in inspector.get_foreign_keys(table)),
        }
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


async def schema(engine: AsyncEngine) -> Schema:
    async with engine.connect() as connection:
        return await connection.run_sync(schema_snapshot)


@pytest.mark.parametrize("revision", revisions())
async def test_stairway_upgrade_downgrade_upgrade(db_url: str, revision: str) -> None:
    """Each revision applies, reverts to exactly its predecessor, and applies again."""
    previous = script_directory().get_revision(revision).down_revision
    assert previous is None or isinstance(previous, str), "the history must stay linear"
    engine = create_engine(db_url)
    try:
        if previous is not None:
            await upgrade(db_url, previous)
        schema_before = await schema(engine)

        await upgrade(db_url, revision)
        assert await current_revision(engine) == revision
        schema_after = await schema(engine)

        await downgrade(db_url, previous or "base")
        assert await current_revision(engine) == previous
        assert await schema(engine) == schema_before

        await upgrade(db_url, revision)
        assert await current_revision(engine) == revision
        assert await schema(engine) == schema_after
    finally:
        await engine.dispose()


async def test_head_schema_matches_the_models(engine: AsyncEngine) -> None:
    """A model changed without a migration shows up here as a difference."""

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_full_downgrade_leaves_no_tables(db_url: str) -> None:
    await upgrade_to_head(db_url)
    await downgrade(db_url, "base")
    engine = create_engine(db_url)
    try:
        assert await schema(engine) == {}
    finally:
        await engine.dispose()


def test_the_revision_the_bot_expects_is_the_head_of_migrations() -> None:
    assert head_revision() == SCHEMA_REVISION, (
        "a migration was added: set SCHEMA_REVISION in bot/platform/storage/migrate.py to it"
    )


async def test_ensure_at_head_accepts_a_migrated_database(engine: AsyncEngine) -> None:
    await ensure_at_head(engine)
    assert await current_revision(engine) == head_revision()


async def test_ensure_at_head_refuses_an_unmigrated_database(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with pytest.raises(FatalError) as raised:
            await ensure_at_head(engine)
    finally:
        await engine.dispose()
    message = str(raised.value)
    assert f"the code expects {head_revision()}" in message
    assert "jianfu migrate" in message
    assert "\n" not in message


async def test_ensure_at_head_refuses_a_database_from_newer_code(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff_future'")
    with pytest.raises(FatalError, match="ffff_future, which this code does not know"):
        await ensure_at_head(engine)


async def outbox_kinds(engine: AsyncEngine) -> dict[str, str]:
    async with engine.connect() as connection:
        rows = await connection.execute(text("SELECT idempotency_key, kind FROM outbox"))
        return {key: kind for key, kind in rows}


async def test_release_items_queued_before_pages_are_sent_but_heard_by_no_page(
    db_url: str,
) -> None:
    """Before 0008 a release item named a held message; after it, a page: an item still on its
    way must not be taken for the page that happens to have that id."""
    engine = create_engine(db_url)
    columns = (
        "idempotency_key, kind, subject_id, part, chat_id, method, payload, status,"
        " not_before, created_at"
    )
    row = "'{key}', '{kind}', 7, '', -100, 'sendMessage', '{{}}', '{status}', :at, :at"
    try:
        await upgrade(db_url, "0007")
        async with engine.begin() as connection:
            for key, kind, status in (
                ("a", "release/page", "pending"),
                ("b", "release/edit", "claimed"),
                ("c", "release/page", "sent"),
                ("d", "held/delete", "pending"),
            ):
                values = row.format(key=key, kind=kind, status=status)
                await connection.execute(
                    text(f"INSERT INTO outbox ({columns}) VALUES ({values})"),
                    {"at": datetime(2026, 12, 1, tzinfo=UTC)},
                )
        await upgrade(db_url, "0008")
        assert await outbox_kinds(engine) == {
            "a": "release/page-0007",
            "b": "release/edit-0007",
            "c": "release/page",
            "d": "held/delete",
        }
        await downgrade(db_url, "0007")
        assert set((await outbox_kinds(engine)).values()) == {
            "release/page",
            "release/edit",
            "held/delete",
        }
    finally:
        await engine.dispose()
