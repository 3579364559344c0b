"""Engine set-up: SQLite pragmas, URL handling, and one-line errors for a bad database."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.platform.errors import FatalError
from bot.platform.storage import create_engine, session_factory
from bot.platform.storage.migrate import ensure_at_head, upgrade_to_head
from bot.platform.storage.models import Chat


async def pragma(engine: AsyncEngine, name: str) -> object:
    async with engine.connect() as connection:
        return (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar_one()


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        assert await pragma(engine, "journal_mode") == "wal"
        assert await pragma(engine, "foreign_keys") == 1
        assert await pragma(engine, "busy_timeout") == 5000
        assert await pragma(engine, "synchronous") == 1  # NORMAL
    finally:
        await engine.dispose()


async def test_sqlite_enforces_foreign_keys(sqlite_url: str) -> None:
    await upgrade_to_head(sqlite_url)
    engine = create_engine(sqlite_url)
    try:
        with pytest.raises(IntegrityError, match="FOREIGN KEY"):
            async with engine.begin() as connection:
                await connection.exec_driver_sql(
                    "INSERT INTO members (chat_id, user_id, status, last_seen_at) "
                    "VALUES (-100, 1, 'member', '2026-01-01 00:00:00')"
                )
    finally:
        await engine.dispose()


async def test_sqlite_rolls_back_ddl_with_its_transaction(sqlite_url: str) -> None:
    """Without SQLAlchemy's own BEGIN, sqlite3 would autocommit the CREATE TABLE."""
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("CREATE TABLE scratch (x INTEGER)")
            await connection.rollback()
        async with engine.connect() as connection:
            found = await connection.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'scratch'"
            )
            assert found.scalar_one() == 0
    finally:
        await engine.dispose()


async def test_sqlite_parent_directory_is_created(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "deeper" / "jianfu.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
    finally:
        await engine.dispose()
    assert database.exists()


def test_plain_urls_get_their_async_driver(tmp_path: Path) -> None:
    assert create_engine(f"sqlite:///{tmp_path / 'a.db'}").url.drivername == "sqlite+aiosqlite"
    postgres = create_engine("postgres://someone@db.example/jianfu")
    assert postgres.url.drivername == "postgresql+asyncpg"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("not a url", "is not a URL"),
        ("mysql://root@localhost/jianfu", "is not supported"),
    ],
)
def test_bad_url_is_one_fatal_line(url: str, problem: str) -> None:
    with pytest.raises(FatalError) as raised:
        create_engine(url)
    message = str(raised.value)
    assert problem in message
    assert "JIANFU_DATABASE_URL" in message
    assert "\n" not in message


async def test_unreachable_postgres_is_one_fatal_line() -> None:
    engine = create_engine("postgresql+asyncpg://jianfu:s3cret@127.0.0.1:1/jianfu")
    try:
        with pytest.raises(FatalError) as raised:
            await ensure_at_head(engine)
    finally:
        await engine.dispose()
    message = str(raised.value)
    assert message.startswith("cannot connect to the database postgresql+asyncpg://jianfu:***@")
    assert "s3cret" not in message
    assert "check [database] url / JIANFU_DATABASE_URL" in message
    assert "\n" not in message
    assert raised.value.__suppress_context__


async def test_unreachable_postgres_stops_migrate_too() -> None:
    with pytest.raises(FatalError, match="cannot connect to the database"):
        await upgrade_to_head("postgresql+asyncpg://jianfu@127.0.0.1:1/jianfu")


async def test_sqlite_file_that_is_not_a_database_is_one_fatal_line(tmp_path: Path) -> None:
    garbage = tmp_path / "jianfu.db"
    garbage.write_bytes(b"this is not SQLite" * 100)
    engine = create_engine(f"sqlite+aiosqlite:///{garbage}")
    try:
        with pytest.raises(FatalError, match=r"cannot connect to the database .*not a database"):
            await ensure_at_head(engine)
    finally:
        await engine.dispose()


def test_uncreatable_sqlite_directory_is_one_fatal_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(FatalError, match="cannot create the directory for the database"):
        create_engine(f"sqlite+aiosqlite:///{blocker / 'sub' / 'jianfu.db'}")


async def test_sqlite_transaction_takes_the_write_lock_at_begin(sqlite_url: str) -> None:
    """BEGIN IMMEDIATE: a transaction that has only read already excludes other writers."""
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as connection:
            await connection.exec_driver_sql("SELECT 1")
            other = sqlite3.connect(make_url(sqlite_url).database or "", timeout=0)
            try:
                with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                    other.execute("BEGIN IMMEDIATE")
            finally:
                other.close()
    finally:
        await engine.dispose()


async def test_sqlite_read_then_write_transactions_queue_up(sqlite_url: str) -> None:
    """A second read-then-write session waits for the first instead of failing as locked."""
    await upgrade_to_head(sqlite_url)
    engine = create_engine(sqlite_url)
    sessions = session_factory(engine)
    first_has_read = asyncio.Event()

    async def add_chat(chat_id: int, after: asyncio.Event | None) -> None:
        if after is not None:
            await after.wait()
        async with sessions() as session:
            await session.scalar(select(func.count()).select_from(Chat))
            first_has_read.set()
            session.add(Chat(chat_id=chat_id, type="group"))
            await session.commit()

    try:
        await asyncio.gather(add_chat(-1, after=None), add_chat(-2, after=first_has_read))
        async with sessions() as session:
            assert set(await session.scalars(select(Chat.chat_id))) == {-1, -2}
    finally:
        await engine.dispose()
