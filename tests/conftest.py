"""Database fixtures for every test: SQLite always, PostgreSQL when JIANFU_TEST_POSTGRES_URL is set.

- `sqlite_url`: a fresh SQLite file in tmp_path (not migrated).
- `postgres_url`: a fresh, uniquely named database on the test server, dropped afterwards.
- `db_url`: both of the above, as parameters with ids "sqlite" and "postgres".
- `engine`: an AsyncEngine on `db_url`, migrated to head; `session_factory`: sessions on it.
Tests on PostgreSQL carry the `postgres` marker (deselect with `-m "not postgres"`).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.platform.storage import create_engine
from bot.platform.storage import session_factory as make_session_factory
from bot.platform.storage.migrate import upgrade_to_head

POSTGRES_ENV = "JIANFU_TEST_POSTGRES_URL"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs against the PostgreSQL test server")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'jianfu.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    server_url = os.environ.get(POSTGRES_ENV)
    if not server_url:
        pytest.skip(f"{POSTGRES_ENV} not set: PostgreSQL suite skipped")
    server = make_url(server_url)
    name = f"jianfu_test_{uuid.uuid4().hex[:16]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    # Its own event loop: creating and dropping happen outside the test's loop.
    asyncio.run(_admin(admin_dsn, f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        asyncio.run(_admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_to_head(db_url)
    migrated = create_engine(db_url)
    try:
        yield migrated
    finally:
        await migrated.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)
