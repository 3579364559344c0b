"""One SQLite writer at a time within the process, in arrival order, without busy sleeps.

SQLite has a single write lock; a BEGIN IMMEDIATE that finds it taken retries in SQLite's busy
handler, which sleeps in growing steps (up to 100 ms each), so a short transaction waiting
behind a long one can wait far longer than the other needed. Within one process an asyncio
lock queues the transactions instead: each begins the moment the one before it ends. Other
processes on the same file still meet SQLite's own busy handling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.util import await_only

_HELD = "jianfu_write_lock"
"""Set in a pooled connection's record while its transaction holds the lock."""


def serialise_writers(engine: Engine, *, wait_seconds: float) -> None:
    """Give each transaction of `engine` the process's write lock, from BEGIN to its end.

    A transaction that waits longer than `wait_seconds` goes on without the lock and meets
    SQLite's busy timeout instead, as it would without this (never a deadlock, e.g. when one
    task holds two transactions open).
    """
    lock = asyncio.Lock()

    @event.listens_for(engine, "begin")
    def _acquire(connection: Connection) -> None:
        try:
            # wait_for costs a task; a free lock is taken without one.
            await_only(
                lock.acquire()
                if not lock.locked()
                else asyncio.wait_for(lock.acquire(), wait_seconds)
            )
        except TimeoutError:
            return
        info = connection.connection.record_info
        if info is None:  # a detached connection: nothing would tell when it is done
            lock.release()
            return
        info[_HELD] = True

    def _release(info: dict[Any, Any] | None) -> None:
        if info is not None and info.pop(_HELD, False):
            lock.release()

    dialect = engine.dialect
    # The lock is released once COMMIT or ROLLBACK has run, not before (engine events fire
    # before them): the next writer's BEGIN IMMEDIATE must not find the file still locked.
    dialect.do_commit = _then(dialect.do_commit, _release)  # type: ignore[method-assign,assignment]
    dialect.do_rollback = _then(dialect.do_rollback, _release)  # type: ignore[method-assign,assignment]

    @event.listens_for(engine.pool, "reset")
    def _returned(_dbapi_connection: Any, record: Any, _state: Any) -> None:
        _release(getattr(record, "info", None))

    @event.listens_for(engine.pool, "invalidate")
    def _invalidated(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        _release(getattr(record, "info", None))


def _then(
    end: Callable[[Any], None], release: Callable[[dict[Any, Any] | None], None]
) -> Callable[[Any], None]:
    def ended(connection: Any) -> None:
        try:
            end(connection)
        finally:
            release(getattr(connection, "record_info", None))

    return ended
