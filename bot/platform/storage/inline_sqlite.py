"""SQLite for SQLAlchemy's aiosqlite dialect, run inline on the event loop's thread.

aiosqlite sends every call (cursor, execute, fetch, close, commit) to a thread of its own and
back, about twenty hops per message stored; each costs a thread switch and an event-loop
wake-up, far more than the SQLite call itself, which reads and writes a local file in
microseconds (WAL, synchronous=NORMAL: commits do not wait for the disk). This module gives the
dialect (through `create_async_engine(..., async_creator=connect)`) a connection with the
same coroutine interface whose calls run at once, so a transaction costs no thread hop at all.
A long statement therefore blocks the loop while it runs: the bot's statements are short and
indexed.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any


class _Queue:
    """Stands in for aiosqlite's request queue, which the dialect uses to set isolation_level:
    the function is run at once and its future settled."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:
            future.set_exception(error)


class InlineCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, operation: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        self._cursor.execute(operation, parameters)
        return self

    async def executemany(
        self, operation: str, seq_of_parameters: Iterable[Sequence[Any]]
    ) -> InlineCursor:
        self._cursor.executemany(operation, seq_of_parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class InlineConnection:
    """The parts of aiosqlite.Connection that SQLAlchemy's aiosqlite dialect uses."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection
        self._tx = _Queue()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        """Terminate: close at once (there is no thread to stop)."""
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def connector(database: str) -> Callable[[], Any]:
    """The async_creator for a SQLite file (or ":memory:")."""

    async def connect() -> InlineConnection:
        # The pool may hand the connection to another task; it is never shared by two at once.
        return InlineConnection(sqlite3.connect(database, check_same_thread=False))

    return connect
