"""Inserts gathered over a transaction and sent together, one executemany per statement.

A batch of updates stores a message-log row, a held message and an outbox item for each of
its messages; sent one statement at a time, the statements' overhead (building, binding,
the driver call) costs more than the database's work. `insert_later` keeps the row in the
session instead; before the session reads anything (a SELECT, a `get`) and before it commits,
the rows kept are inserted, each statement's rows in one call, in the order they were kept.
A row inserted later is, to everything that reads, as if it had been inserted at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session

from bot.platform.storage.after_commit import CommittingSession
from bot.platform.storage.upsert import insert_ignore_statement

_KEPT = "jianfu_deferred_inserts"


def insert_later(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    keys: Sequence[str],
) -> None:
    """insert_ignore, sent with the session's next read or at its commit."""
    statement = insert_ignore_statement(session, model, keys)
    kept: dict[Any, list[dict[str, Any]]] = session.sync_session.info.setdefault(_KEPT, {})
    kept.setdefault(statement, []).append(dict(values))


def send_kept(session: Session) -> None:
    """Insert what is kept, now."""
    kept = session.info.pop(_KEPT, None)
    for statement, rows in (kept or {}).items():
        session.execute(statement, rows)


@event.listens_for(CommittingSession, "do_orm_execute")
def _before_reading(state: ORMExecuteState) -> None:
    if _KEPT in state.session.info and (state.is_select or state.is_update or state.is_delete):
        send_kept(state.session)


@event.listens_for(CommittingSession, "before_commit")
def _before_committing(session: Session) -> None:
    send_kept(session)


@event.listens_for(CommittingSession, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEPT, None)
