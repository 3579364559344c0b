"""/duplicates on|off: whether a group's data requests are compared with earlier ones."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.features.policy.commands import Change
from policies.group_policy import GroupPolicy

_ON = frozenset({"on", "开", "开启", "打开", "true", "yes"})
_OFF = frozenset({"off", "关", "关闭", "false", "no"})


def duplicates_change(policy: GroupPolicy, args: Sequence[str]) -> Change:
    if len(args) != 1:
        return Change(None, "duplicates.usage")
    word = args[0].strip().lower()
    if word not in _ON | _OFF:
        return Change(None, "duplicates.invalid", {"value": args[0]})
    on = word in _ON
    return Change(
        dataclasses.replace(policy, duplicates=on),
        confirmation="duplicates.set_on" if on else "duplicates.set_off",
    )
