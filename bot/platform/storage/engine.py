"""The async engine and session factory; nothing is created at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from bot.platform.errors import FatalError
from bot.platform.fastjson import dumps, loads
from bot.platform.storage.after_commit import CommittingSession
from bot.platform.storage.inline_sqlite import connector
from bot.platform.storage.known import KnownFacts, session_info
from bot.platform.storage.write_lock import serialise_writers

URL_HINT = "check [database] url / JIANFU_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_CONNECT_TIMEOUT_S = 10

# The drivers this bot runs on, by the spellings people write in a URL.
_ASYNC_DRIVERNAMES = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def database_url(url: str) -> URL:
    """The URL with its async driver; plain sqlite:// and postgresql:// are accepted too."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise FatalError(
            "database url is not a URL (expected sqlite+aiosqlite:///path/to/jianfu.db or "
            f"postgresql+asyncpg://user@host/db): {URL_HINT}"
        ) from None
    drivername = _ASYNC_DRIVERNAMES.get(parsed.drivername)
    if drivername is None:
        raise FatalError(
            f"database url {safe_url(parsed)} is not supported: use sqlite+aiosqlite:// or "
            f"postgresql+asyncpg://; {URL_HINT}"
        )
    return parsed.set(drivername=drivername)


def safe_url(url: URL) -> str:
    """The URL as it may appear in logs and errors: password hidden."""
    return url.render_as_string(hide_password=True)


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def create_engine(url: str, *, sqlite_foreign_keys: bool = True) -> AsyncEngine:
    """An engine for `url`; SQLite gets WAL and real transactions, PostgreSQL a pool.

    `sqlite_foreign_keys=False` is for migrations only: SQLite batch mode recreates tables,
    which enforced foreign keys would turn into cascades (checked afterwards instead).
    """
    parsed = database_url(url)
    if is_sqlite(parsed):
        return _sqlite_engine(parsed, foreign_keys=sqlite_foreign_keys)
    return _create_async_engine(
        parsed,
        json_serializer=dumps,
        json_deserializer=loads,
        pool_size=10,
        max_overflow=10,
        # No ping before each transaction (a third of the round trips): a connection that died
        # fails its transaction, which the caller retries on a fresh one.
        pool_pre_ping=False,
        pool_recycle=1800,
        connect_args={"timeout": POSTGRES_CONNECT_TIMEOUT_S},
    )


def _sqlite_engine(url: URL, *, foreign_keys: bool) -> AsyncEngine:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        path = Path(url.database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FatalError(
                f"cannot create the directory for the database {path}: {exc.strerror}; {URL_HINT}"
            ) from None
        url = url.set(database=str(path))
    # The driver runs inline on the event loop's thread (see inline_sqlite): no thread hop a call.
    engine = _create_async_engine(
        url,
        async_creator=connector(url.database or ":memory:"),
        json_serializer=dumps,
        json_deserializer=loads,
    )
    # Registered before _begin below, so the process's lock is taken before SQLite's.
    serialise_writers(engine.sync_engine, wait_seconds=SQLITE_BUSY_TIMEOUT_MS / 1000)
    pragmas = (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
        f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}",
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN skips SELECT and DDL; SQLAlchemy issues BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so a transaction that reads then writes
        # waits for busy_timeout instead of failing with SQLITE_BUSY when another writer wins.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on `engine`, sharing one memory of what the store says (bot.platform.known)."""
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        sync_session_class=CommittingSession,
        info=session_info(KnownFacts()),
    )


@asynccontextmanager
async def database_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection, or FatalError in one line when the database cannot be reached."""
    try:
        connection = await engine.connect()
    except (DBAPIError, OSError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) else exc
        first_line = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
        raise FatalError(
            f"cannot connect to the database {safe_url(engine.url)}: {first_line}; {URL_HINT}"
        ) from None
    try:
        yield connection
    finally:
        await connection.close()
