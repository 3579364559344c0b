"""GroupPolicy to and from JSON, driven by the dataclass's type hints so new fields just work.

Times are "HH:MM", quiet windows "HH:MM-HH:MM", dates ISO, enums their value, sets sorted lists.
"""

from __future__ import annotations

import dataclasses
from datetime import date, time
from enum import Enum
from functools import cache
from typing import Any, get_args, get_origin, get_type_hints

from policies.group_policy import GroupPolicy, QuietWindow, parse_hhmm, parse_quiet_window


def policy_to_json(policy: GroupPolicy, defaults: GroupPolicy | None = None) -> dict[str, Any]:
    """Every field of `policy`, or with `defaults` only the fields that differ from them."""
    return {
        f.name: _encode(getattr(policy, f.name))
        for f in dataclasses.fields(policy)
        if defaults is None or getattr(policy, f.name) != getattr(defaults, f.name)
    }


def policy_from_json(data: dict[str, Any], defaults: GroupPolicy) -> GroupPolicy:
    """`defaults` with the fields present in `data` replaced; keys of removed fields are ignored.

    Raises ValueError naming the field when a stored value does not fit its type.
    """
    hints = _field_types()
    changes = {name: _decode(hints[name], raw, name) for name, raw in data.items() if name in hints}
    return dataclasses.replace(defaults, **changes)


@cache
def _field_types() -> dict[str, Any]:
    return {
        name: hint
        for name, hint in get_type_hints(GroupPolicy).items()
        if name in {f.name for f in dataclasses.fields(GroupPolicy)}
    }


def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, date | QuietWindow):
        return str(value)
    if isinstance(value, frozenset):
        return sorted(_encode(item) for item in value)
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    return value


def _decode(hint: Any, raw: Any, name: str) -> Any:
    origin = get_origin(hint)
    if origin in (frozenset, tuple):
        if not isinstance(raw, list):
            raise ValueError(f"policy field {name}: expected a list, got {raw!r}")
        items = (_decode(get_args(hint)[0], item, name) for item in raw)
        return frozenset(items) if origin is frozenset else tuple(items)
    decoded = _decode_scalar(hint, raw)
    if decoded is None:
        raise ValueError(f"policy field {name}: {raw!r} is not a valid {hint.__name__}")
    return decoded


def _decode_scalar(hint: type, raw: Any) -> Any:
    """The value of type `hint` that `raw` stands for, or None when it stands for none."""
    if hint is QuietWindow:
        return parse_quiet_window(raw) if isinstance(raw, str) else None
    if hint is time:
        return parse_hhmm(raw) if isinstance(raw, str) else None
    if hint is date:
        try:
            return date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            return None
    if issubclass(hint, Enum):
        try:
            return hint(raw)
        except ValueError:
            return None
    # bool is an int in Python; a stored true must not become quota 1.
    if isinstance(raw, hint) and not (hint is int and isinstance(raw, bool)):
        return raw
    return None
