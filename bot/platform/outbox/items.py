"""What goes into the outbox and what comes out: typed items, their keys, their results."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Protocol

JSONObject = dict[str, Any]
KEY_MAX_LENGTH = 200
KIND_MAX_LENGTH = 40
PART_MAX_LENGTH = 40
METHOD_MAX_LENGTH = 40
DELETE_METHODS = frozenset({"deleteMessage", "deleteMessages"})


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file sent with a call, stored with its item so that a retry sends the same bytes."""

    parameter: str  # the call's parameter that carries it ("document")
    filename: str
    content: bytes = field(repr=False)
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Bot API call that must happen exactly once.

    `kind` names the feature's purpose ("held/delete", "live/post" …): results are routed by
    it. `subject_id` is what the call is about (a row id, or a message id for deletes), `part`
    tells apart several calls about one subject (pages of a digest, successive edits).
    """

    kind: str
    chat_id: int
    method: str
    payload: JSONObject
    subject_id: int | None = None
    part: str = ""
    file: OutgoingFile | None = None

    @property
    def key(self) -> str:
        """The idempotency key: enqueueing the same call twice is a no-op."""
        subject = "" if self.subject_id is None else str(self.subject_id)
        return f"{self.kind}:{self.chat_id}:{subject}:{self.part}"

    def check(self) -> None:
        """Refuse what the outbox table cannot hold."""
        if not self.kind or len(self.kind) > KIND_MAX_LENGTH or ":" in self.kind:
            raise ValueError(f"outbox kind must be 1-{KIND_MAX_LENGTH} characters, no colon")
        if len(self.key) > KEY_MAX_LENGTH:
            raise ValueError(f"outbox key longer than {KEY_MAX_LENGTH}: {self.key!r}")
        if len(self.part) > PART_MAX_LENGTH:
            raise ValueError(f"outbox part longer than {PART_MAX_LENGTH}: {self.part!r}")
        if len(self.method) > METHOD_MAX_LENGTH:
            raise ValueError(f"outbox method name longer than {METHOD_MAX_LENGTH}: {self.method!r}")


def delete_message(kind: str, chat_id: int, message_id: int) -> Outgoing:
    """Delete one message (the worker sends neighbouring deletes of a chat as one call)."""
    return Outgoing(
        kind,
        chat_id,
        "deleteMessage",
        {"chat_id": chat_id, "message_id": message_id},
        subject_id=message_id,
    )


class Result(StrEnum):
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Settled:
    """An item done with: sent (with Telegram's compact answer) or failed for good (with why)."""

    kind: str
    chat_id: int
    subject_id: int | None
    part: str
    method: str
    payload: JSONObject
    result: Result
    answer: JSONObject = field(default_factory=dict)  # {"message_id": …} for a sent message
    reason: str = ""  # why it failed

    @property
    def sent(self) -> bool:
        return self.result is Result.SENT

    @property
    def message_id(self) -> int | None:
        found = self.answer.get("message_id")
        return found if isinstance(found, int) else None


ResultHandler = Callable[[Settled], Awaitable[None]]


class ResultRouter:
    """Who hears how an item ended, by its kind: one route for sent and failed alike."""

    def __init__(self) -> None:
        self._handlers: dict[str, ResultHandler] = {}

    def route(self, kind: str, handler: ResultHandler) -> None:
        if kind in self._handlers:
            raise ValueError(f"outbox kind {kind!r} already has a result handler")
        self._handlers[kind] = handler

    async def __call__(self, settled: Settled) -> None:
        handler = self._handlers.get(settled.kind)
        if handler is not None:
            await handler(settled)


class FailureKind(Enum):
    FLOOD = "flood"
    """429: try again after retry_after; not the item's fault, so no attempt is used up."""
    TRANSIENT = "transient"
    """5xx, network errors and timeouts: back off and retry, up to the attempt limit."""
    PERMANENT = "permanent"
    """Blocked, kicked, chat not found, a malformed call: never retried."""
    GONE = "gone"
    """The message to delete is not there: for the outbox worker, that delete is done."""
    MIGRATED = "migrated"
    """The group became a supergroup: send again at once, to the new chat id."""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str
    retry_after: float = 0.0
    new_chat_id: int | None = None


class CallFailed(Exception):
    """The transport could not perform a call; `failure` says what that means for the item."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


class TokenRejected(Exception):
    """The Bot API refused the bot's token: nothing can be sent, the bot must stop."""


class Transport(Protocol):
    """Performs one Bot API call (the Telegram edge implements it)."""

    async def perform(
        self, method: str, payload: JSONObject, file: OutgoingFile | None
    ) -> JSONObject:
        """Telegram's compact answer ({"message_id": …}); raises CallFailed or TokenRejected."""
        ...
