"""One instance leads: it polls (or sets the webhook), runs the jobs and drains the outbox.

PostgreSQL: the leader holds a session advisory lock on a connection of its own, outside the
pool (a lock taken through a pooled connection would outlive the session that took it and
block everyone). The server's TCP keepalives end that session, and so free the lock, when the
leader's machine dies; its process dying frees it at once. The leader writes a heartbeat row
through the same connection; a standby that sees the heartbeat stop for longer than the grace
period (a leader frozen without dying, e.g. SIGSTOP) terminates the leader's session, which
frees the lock. A leader whose heartbeat fails (the database unreachable, its session
terminated) stops leading at once: `valid()` turns false before its work could race a new
leader's, and its work is stopped.

SQLite: one instance per database file, enforced with a lock on a file beside it; a second
instance refuses to start (see `sole_instance`).
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL

from bot.platform.errors import FatalError

log = logging.getLogger(__name__)

LOCK_KEY = 0x4A69616E6675  # "Jianfu": the advisory lock every instance of a database contends for
# Server-side keepalives: the server notices within about a minute that a leader's machine is
# gone, and ends its session (and so its lock).
_KEEPALIVES = {
    "tcp_keepalives_idle": "30",
    "tcp_keepalives_interval": "10",
    "tcp_keepalives_count": "3",
    "application_name": "jianfu",
}


@dataclass(frozen=True, slots=True)
class StandbyTiming:
    beat: float = 5.0  # seconds between a leader's heartbeats (and a standby's looks)
    grace: float = 30.0  # seconds of silence before a standby ends a frozen leader's session
    timeout: float = 5.0  # seconds a heartbeat may take before the leader gives up leading


class Leadership(Protocol):
    async def lead(self, stop: asyncio.Event) -> bool:
        """Wait until this instance leads (True), or until `stop` is set (False)."""
        ...

    async def lost(self) -> None:
        """Return when this instance stops leading (its heartbeat failed)."""
        ...

    def valid(self) -> bool:
        """Whether this instance may act as the leader now (false as soon as it may not)."""
        ...

    async def step_down(self) -> None:
        """Stop leading: let another instance take over."""
        ...

    async def close(self) -> None: ...


class Gate:
    """What the leader's work asks before it acts (a send, a poll): whether this instance
    leads now. Until told otherwise it follows a sole instance, which always leads."""

    def __init__(self) -> None:
        self._leadership: Leadership = SoleInstance()

    def follow(self, leadership: Leadership) -> None:
        self._leadership = leadership

    def open(self) -> bool:
        return self._leadership.valid()


class SoleInstance:
    """SQLite's leadership: this process is the only one (the file lock says so)."""

    def __init__(self) -> None:
        self._forever = asyncio.Event()

    async def lead(self, stop: asyncio.Event) -> bool:
        return not stop.is_set()

    async def lost(self) -> None:
        await self._forever.wait()

    def valid(self) -> bool:
        return True

    async def step_down(self) -> None:
        """A sole instance has no one to hand over to."""

    async def close(self) -> None:
        """Nothing to release: the file lock goes with the process."""


@contextmanager
def sole_instance(database: Path) -> Iterator[SoleInstance]:
    """Hold the lock file beside a SQLite database for as long as the context lasts."""
    lock_path = database.with_name(database.name + ".lock")
    with lock_path.open("a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "another process"
            raise FatalError(
                f"another jianfu instance ({holder}) uses the SQLite database {database}: "
                "a SQLite database serves one instance; stop the other, or use PostgreSQL "
                "([database] url) to run two"
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"pid {os.getpid()}")
        lock_file.flush()
        yield SoleInstance()


class PostgresLeadership:
    """The advisory-lock leadership of instances sharing one PostgreSQL database."""

    def __init__(self, url: URL, instance: str, timing: StandbyTiming = StandbyTiming()) -> None:
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._instance = instance
        self._timing = timing
        self._connection: Any = None
        self._valid_until = 0.0
        self._lost = asyncio.Event()
        self._beating: asyncio.Task[None] | None = None
        self._told_waiting = False

    async def lead(self, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            try:
                if await self._wait_for_lock():
                    self._start_beating()
                    log.info("leadership: this instance (%s) leads", self._instance)
                    return True
                await self._watch_leader()
            except Exception as error:
                log.warning("leadership: the database cannot be reached (%r); trying again", error)
                await self._forget_connection()
                await _pause(self._timing.beat, stop)
        return False

    async def lost(self) -> None:
        await self._lost.wait()

    def valid(self) -> bool:
        return not self._lost.is_set() and time.monotonic() < self._valid_until

    async def step_down(self) -> None:
        self._lose("stepping down")
        await self._forget_connection()

    async def close(self) -> None:
        await self.step_down()

    async def _wait_for_lock(self) -> bool:
        """Wait up to a heartbeat's interval for the lock: a standby takes over the moment a
        dead leader's session ends, and looks at the heartbeat in between."""
        if self._connection is None:
            settings = _KEEPALIVES | {"lock_timeout": str(int(self._timing.beat * 1000))}
            self._connection = await asyncio.wait_for(
                asyncpg.connect(self._dsn, server_settings=settings), self._timing.timeout
            )
        try:
            await self._connection.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        except asyncpg.exceptions.LockNotAvailableError:
            return False
        self._lost = asyncio.Event()
        await self._beat()
        return True

    async def _watch_leader(self) -> None:
        """As a standby: say once who leads; end a leader whose heartbeat stopped."""
        row = await self._connection.fetchrow(
            "SELECT instance, backend_pid, extract(epoch FROM now() - beat_at) AS silent "
            "FROM leader_heartbeat WHERE id = 1"
        )
        if not self._told_waiting:
            leader = row["instance"] if row is not None else "another instance"
            log.info("leadership: %s leads; this instance (%s) stands by", leader, self._instance)
            self._told_waiting = True
        if row is not None and row["silent"] > self._timing.grace:
            log.warning(
                "leadership: %s has sent no heartbeat for %.0f s; ending its session",
                row["instance"],
                row["silent"],
            )
            await self._connection.execute("SELECT pg_terminate_backend($1)", row["backend_pid"])

    def _start_beating(self) -> None:
        self._beating = asyncio.create_task(self._beat_forever())

    async def _beat_forever(self) -> None:
        while not self._lost.is_set():
            await asyncio.sleep(self._timing.beat)
            try:
                await self._beat()
            except Exception as error:
                # Whatever keeps the heartbeat from being written: this instance cannot show
                # that it still leads, so it does not.
                self._lose(f"its heartbeat failed ({error!r})")
                await self._forget_connection()
                return

    async def _beat(self) -> None:
        started = time.monotonic()
        await asyncio.wait_for(
            self._connection.execute(
                "INSERT INTO leader_heartbeat (id, instance, backend_pid, beat_at) "
                "VALUES (1, $1, pg_backend_pid(), now()) ON CONFLICT (id) DO UPDATE SET "
                "instance = excluded.instance, backend_pid = excluded.backend_pid, "
                "beat_at = excluded.beat_at",
                self._instance,
            ),
            self._timing.timeout,
        )
        # Valid for less than the grace period from when the beat was sent: a leader that is
        # frozen longer finds itself invalid before a standby could have taken over.
        self._valid_until = started + self._timing.grace - self._timing.beat

    def _lose(self, why: str) -> None:
        if self._beating is not None and not self._lost.is_set():
            log.warning("leadership: this instance (%s) stops leading: %s", self._instance, why)
        self._lost.set()
        self._valid_until = 0.0
        self._told_waiting = False

    async def _forget_connection(self) -> None:
        if self._beating is not None and self._beating is not asyncio.current_task():
            self._beating.cancel()
        self._beating = None
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()


async def _pause(seconds: float, stop: asyncio.Event) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
