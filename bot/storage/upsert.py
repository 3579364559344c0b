"""INSERT ... ON CONFLICT for both dialects the bot runs on, in one call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def _insert(session: AsyncSession, model: type[DeclarativeBase]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


async def upsert(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    keys: Sequence[str],
    update: Sequence[str] | None = None,
) -> None:
    """Insert a row, or update the given columns (default: all but the keys) of the existing one."""
    columns = [c for c in values if c not in keys] if update is None else list(update)
    statement = _insert(session, model).values(**values)
    if columns:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={c: statement.excluded[c] for c in columns}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    await session.execute(statement)


async def insert_ignore(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: Mapping[str, Any],
    keys: Sequence[str],
) -> bool:
    """Insert a row unless one with the same keys exists; True when it was inserted."""
    statement = (
        _insert(session, model).values(**values).on_conflict_do_nothing(index_elements=list(keys))
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
