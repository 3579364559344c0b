"""JSON through orjson when it is installed (a declared dependency; a platform without a wheel
falls back to the json module)."""

from __future__ import annotations

import json
import re
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - a platform without an orjson wheel
    orjson = None  # type: ignore[assignment]

_SURROGATE = re.compile("[\ud800-\udfff]")


def loads(payload: bytes | str) -> Any:
    """JSON from bytes or text (invalid UTF-8 replaced, as PTB does)."""
    if orjson is not None:
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            pass
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    return json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON text that is valid UTF-8 (a lone surrogate is written as its escape)."""
    if orjson is not None:
        try:
            return orjson.dumps(value).decode()
        except TypeError:
            # A value orjson does not take (an int beyond 64 bits, a lone surrogate): the json
            # module does.
            pass
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if _SURROGATE.search(text) is None:
        return text
    return json.dumps(value, separators=(",", ":"))
