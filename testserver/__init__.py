"""The project's own Bot API server for tests, benchmarks and demos.

    async with BotApiServer(clock=manual_clock.now) as server:
        alice = server.world.add_user("Alice", started=True)
        group = server.world.add_group("工作群", members=[alice])
        bot = Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url)
        server.world.send(alice, group, "收到请回复")   # an update for getUpdates
        ...                                            # run the bot
        assert server.world.sent_by_bot(group)[0].reply_markup
        server.assert_no_violations()

Modules: spec (api.json checks), world (people, chats, messages, updates), methods (the Bot API
methods), limits (429), faults (injected failures), webhook, control (JSON control API for a
bot in another process), server (HTTP and the request pipeline), __main__ (standalone).
"""

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
