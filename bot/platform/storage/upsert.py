"""INSERT ... ON CONFLICT for both dialects the bot runs on, in one call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


async def upsert(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """Insert a row, or update the given columns (default: all but the keys) of the existing one."""
    columns = [c for c in values if c not in keys] if update is None else list(update)
    statement = _statement(_dialect(session), model, tuple(keys), tuple(columns))
    await session.execute(statement, dict(values))


def insert_ignore_statement(
    session: AsyncSession, model: type[DeclarativeBase], keys: Sequence[str]
) -> Any:
    """The INSERT ... ON CONFLICT DO NOTHING of `model` for this session's database."""
    return _statement(_dialect(session), model, tuple(keys), ())


async def insert_ignore(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    keys: Sequence[str],
) -> bool:
    """Insert a row unless one with the same keys exists; True when it was inserted."""
    statement = _statement(_dialect(session), model, tuple(keys), ())
    result = await session.execute(statement, dict(values))
    return bool(getattr(result, "rowcount", 0))


async def insert_ignore_many(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
) -> None:
    """insert_ignore for many rows of the same columns, as one executemany."""
    if rows:
        statement = _statement(_dialect(session), model, tuple(keys), ())
        await session.execute(statement, [dict(row) for row in rows])


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


@lru_cache(maxsize=256)
def _statement(
    dialect: str, model: type[DeclarativeBase], keys: tuple[str, ...], update: tuple[str, ...]
) -> Any:
    """Built once per shape and given its values as parameters: building and caching a
    statement with its values inlined costs more than running it."""
    # The table, not the mapped class: a plain INSERT, not the ORM's bulk insert.
    table = cast(Table, model.__table__)
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    if update:
        return statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: statement.excluded[c] for c in update}
        )
    return statement.on_conflict_do_nothing(index_elements=list(keys))
