"""Column types shared by every model: UTC datetimes, 64-bit ids, JSON, text any database takes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import BigInteger, DateTime, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which keeps no offset) and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: pass an aware UTC time")
        value = value.astimezone(UTC)
        # SQLite stores text; without an offset, UTC strings sort and compare chronologically.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite autoincrements only an INTEGER PRIMARY KEY (the rowid), which is 64-bit anyway.
SERIAL_ID_TYPE = BigInteger().with_variant(Integer(), "sqlite")
"""The column type of a SerialId, also for the foreign keys pointing at one."""

SerialId = Annotated[int, mapped_column(SERIAL_ID_TYPE, primary_key=True, autoincrement=True)]
"""A surrogate key the database assigns."""

TelegramKey = Annotated[int, mapped_column(BigInteger, primary_key=True, autoincrement=False)]
"""A Telegram id that is (part of) the primary key: given, never generated."""

TelegramId = Annotated[int, mapped_column(BigInteger)]
"""A Telegram user, chat or message id: up to 52 bits today, 64 reserved."""

JsonObject = dict[str, Any]
JsonList = list[Any]


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """`text` as every database stores it: NUL (PostgreSQL's text refuses it) and lone
    surrogates (no UTF-8 can carry them) become U+FFFD; anything else is kept as it is.

    Only the copy in a text column changes: what is posted again (a held message) is kept in a
    JSON column, whose escapes ("\\u0000") carry the original.
    """
    if _UNSTORABLE.search(text) is None:
        return text
    paired = text.replace("\x00", REPLACEMENT).encode("utf-16", "surrogatepass")
    return paired.decode("utf-16", "replace")


class StoredText(TypeDecorator[str]):
    """TEXT that takes any str (see `storable`)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else storable(value)


class StoredString(TypeDecorator[str]):
    """VARCHAR(n) that takes any str (see `storable`)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else storable(value)
