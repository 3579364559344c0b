"""uvloop and orjson when they are installed (they are declared; a platform without a wheel
runs on the standard library): a faster event loop, faster JSON from Telegram
(bot.platform.fastjson)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.platform.fastjson import loads

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop does not exist for Windows
    uvloop = None  # type: ignore[assignment]


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop, or None for asyncio's own."""
    return uvloop.new_event_loop if uvloop is not None else None


class FastJSONRequest(HTTPXRequest):
    """PTB's HTTPX request, reading Telegram's answers with orjson."""

    @staticmethod
    def parse_json_payload(payload: bytes) -> Any:
        try:
            return loads(payload)
        except ValueError as error:
            raise TelegramError("Invalid server response") from error
