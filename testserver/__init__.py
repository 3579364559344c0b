"""The project's own Bot API server for tests, benchmarks and demos (see server.py)."""

from testserver.faults import Fault, FaultKind
from testserver.limits import LimitSettings, RateLimiter
from testserver.server import DEFAULT_TOKEN, BotApiServer, RequestRecord, Violation
from testserver.spec import BotApiSpec, SpecError
from testserver.world import (
    GROUP_ANONYMOUS_BOT,
    CallbackPress,
    Chat,
    ChatMessage,
    Deletion,
    Edit,
    Member,
    User,
    World,
)

__all__ = [
    "DEFAULT_TOKEN",
    "GROUP_ANONYMOUS_BOT",
    "BotApiServer",
    "BotApiSpec",
    "CallbackPress",
    "Chat",
    "ChatMessage",
    "Deletion",
    "Edit",
    "Fault",
    "FaultKind",
    "LimitSettings",
    "Member",
    "RateLimiter",
    "RequestRecord",
    "SpecError",
    "User",
    "Violation",
    "World",
]
