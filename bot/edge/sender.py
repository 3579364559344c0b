"""One outbox item through the Bot API: the call, its compact result, and what a failure means.

The payload is the Bot API's own JSON (snake_case parameters, reply_markup and entities as
plain objects), so it can be stored as it is. A method PTB knows is called through its
camelCase alias on `telegram.Bot`, which takes those JSON values as they are; a method PTB does
not know yet goes through `Bot.do_api_request`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from telegram import Bot, InputFile, TelegramObject
from telegram.error import (
    BadRequest,
    ChatMigrated,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.edge.ratelimit import SINGLE_ATTEMPT, retry_after_seconds
from bot.platform.outbox.items import (
    CallFailed,
    Failure,
    FailureKind,
    JSONObject,
    OutgoingFile,
    TokenRejected,
)

MESSAGE_GONE = "message to delete not found"
NOT_MODIFIED = {"not_modified": True}
"""The result stored for an edit that changed nothing: Telegram already shows that content."""


def uses_outbox_limits(bot: Bot) -> bool:
    """Whether calls through `bot` pass a rate limiter that takes rate_limit_args."""
    return isinstance(bot, ExtBot) and bot.rate_limiter is not None


def _api_alias(method: str) -> bool:
    """Whether `method` is the camelCase name of a Bot API method PTB has (sendMessage...)."""
    return any(c.isupper() for c in method) and callable(getattr(Bot, method, None))


class BotTransport:
    """The outbox's transport: its calls through PTB's Bot, failures as the outbox reads them."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def perform(
        self, method: str, payload: JSONObject, file: OutgoingFile | None
    ) -> JSONObject:
        try:
            return await perform(self._bot, method, payload, file)
        except InvalidToken:
            raise TokenRejected from None
        except (TelegramError, TypeError, ValueError) as error:
            raise CallFailed(failure_of(error)) from error


async def perform(
    bot: Bot, method: str, payload: Mapping[str, Any], file: OutgoingFile | None = None
) -> dict[str, Any]:
    """Call `method` with `payload` (and `file` as its upload) and return what to store of the
    answer. An edit to the content the message already has counts as done (NOT_MODIFIED).
    """
    # A RetryAfter must reach the outbox, which reschedules the item durably.
    extra: dict[str, Any] = {"rate_limit_args": SINGLE_ATTEMPT} if uses_outbox_limits(bot) else {}
    if file is not None:
        upload = InputFile(file.content, filename=file.filename, attach=True)
        payload = {**payload, file.parameter: upload}
    try:
        if _api_alias(method):
            result = await getattr(bot, method)(**payload, **extra)
        else:
            result = await bot.do_api_request(method, api_kwargs=dict(payload), **extra)
    except BadRequest as error:
        if "message is not modified" in error.message.lower():
            return dict(NOT_MODIFIED)
        raise
    return compact_result(result)


def compact_result(result: object) -> dict[str, Any]:
    """The ids a caller may need later (e.g. to edit a tally), not the whole echoed message."""
    if isinstance(result, bool):
        return {"ok": result}
    if isinstance(result, Sequence) and not isinstance(result, str):
        return {"message_ids": [_message_id(item) for item in result]}
    message_id = _message_id(result)
    return {"ok": True} if message_id is None else {"message_id": message_id}


def _message_id(value: object) -> int | None:
    if isinstance(value, TelegramObject):
        found = getattr(value, "message_id", None)
    elif isinstance(value, Mapping):
        found = value.get("message_id")
    else:
        found = None
    return found if isinstance(found, int) else None


def failure_of(error: Exception) -> Failure:
    """What `error` from `perform` means for the item (InvalidToken is the caller's to stop on).

    An error nobody expected fails the item rather than retrying it forever.
    """
    if isinstance(error, RetryAfter):
        wait = retry_after_seconds(error)
        return Failure(FailureKind.FLOOD, f"flood control: retry after {wait:g} s", wait)
    if isinstance(error, ChatMigrated):
        return Failure(
            FailureKind.MIGRATED,
            f"group migrated to supergroup {error.new_chat_id}",
            new_chat_id=error.new_chat_id,
        )
    if isinstance(error, BadRequest) and MESSAGE_GONE in error.message.lower():
        return Failure(FailureKind.GONE, _reason(error))
    if isinstance(error, Forbidden | BadRequest | EndPointNotFound):
        return Failure(FailureKind.PERMANENT, _reason(error))
    if isinstance(error, TimedOut):
        # Telegram may have performed it; retrying risks a duplicate, dropping risks a loss.
        return Failure(FailureKind.TRANSIENT, f"timed out: {error.message}")
    if isinstance(error, NetworkError):
        return Failure(FailureKind.TRANSIENT, f"network: {error.message}")
    if isinstance(error, TelegramError):
        return Failure(FailureKind.PERMANENT, _reason(error))
    if isinstance(error, TypeError | ValueError):
        # PTB refused the payload's parameters before sending anything.
        return Failure(FailureKind.PERMANENT, f"malformed call: {error}")
    return Failure(FailureKind.PERMANENT, f"unexpected error: {error!r}")


def _reason(error: TelegramError) -> str:
    """Telegram's description, led by the error's name unless it already is (Forbidden: ...)."""
    name = type(error).__name__
    return error.message if error.message.startswith(name) else f"{name}: {error.message}"
