"""The update stream: Telegram's updates processed before they are confirmed.

Polling: a getUpdates batch is processed, its group messages in one transaction with the record
of their update ids, and only then is the next getUpdates sent with the offset that confirms
it. A crash before that confirmation makes Telegram deliver the batch again, and what was
stored already is recognised and skipped; nothing waits in memory unconfirmed, so memory stays
bounded whatever the backlog. Webhook: Telegram is answered once the update's transaction has
committed, and a failure answers 500 so that Telegram delivers it again.

Updates other than plain group messages (commands, button presses, membership changes) go
through PTB's handlers, one at a time, in order.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from bot.edge.context import JianfuApplication
from bot.edge.inbound import plain_group_message
from bot.edge.ratelimit import retry_after_seconds
from bot.platform.clock import Clock
from bot.platform.pipeline import Arrival, MessageIntake
from bot.platform.processed import mark_processed, processed_among, resume_offset
from policies.message import ChatMessage

log = logging.getLogger(__name__)
# PTB asks to use Bot.get_updates, which parses a whole batch into Update objects at once; the
# stream reads the raw JSON instead, one update at a time (see UpdateStream.handle).
warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)

POLL_TIMEOUT = 10  # seconds a getUpdates waits for an update (long polling)
BATCH_LIMIT = 100  # Telegram's maximum
READ_MARGIN = 5.0  # seconds beyond the long poll before a read times out
RETRY_FIRST, RETRY_MAX = 1.0, 30.0  # seconds between attempts after a failure, doubling

SeenGroup = Callable[[ChatMessage], Awaitable[None]]


class UpdateStream:
    """Hands updates to the bot in order: runs of plain group messages to the message intake
    (one transaction each run), the rest to PTB's handlers."""

    def __init__(
        self,
        application: JianfuApplication,
        intake: MessageIntake,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        seen_group: SeenGroup,
    ) -> None:
        self._application = application
        self._bot = application.bot
        self._intake = intake
        self._sessions = sessions
        self._clock = clock
        self._seen_group = seen_group

    async def handle(self, raw: Sequence[dict[str, Any]]) -> None:
        """Process a batch of updates (Bot API JSON) in order; returns once all are stored."""
        run: list[Arrival] = []
        for data in raw:
            try:
                message = plain_group_message(data)
                update = None if message is not None else Update.de_json(data, self._bot)
            except Exception:
                # One update nobody can read must not hold up those behind it.
                log.exception("update %s cannot be read; skipped", data.get("update_id"))
                continue
            if message is not None:
                await self._seen_group(message)
                run.append(Arrival(int(data["update_id"]), message))
                continue
            if run:
                await self._intake.receive(run)
                run = []
            if update is not None:
                await self._through_handlers(update)
            # A turn for the rest of the bot between updates keeps a large batch from holding
            # the event loop.
            await asyncio.sleep(0)
        if run:
            await self._intake.receive(run)

    async def _through_handlers(self, update: Update) -> None:
        async with self._sessions() as session:
            if await processed_among(session, [update.update_id]):
                return
        await self._application.process_update(update)
        async with self._sessions() as session:
            await mark_processed(session, [update.update_id], self._clock.now())
            await session.commit()


class PollConflict(Exception):
    """Telegram answered getUpdates with 409: another process polls with this bot's token."""


class Poller:
    """Long-polls getUpdates and confirms a batch only once it is processed."""

    def __init__(
        self,
        bot: Bot,
        stream: UpdateStream,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        allowed_updates: Sequence[str],
        *,
        timeout: int = POLL_TIMEOUT,
        may_poll: Callable[[], bool] = lambda: True,
    ) -> None:
        self._bot = bot
        self._stream = stream
        self._sessions = sessions
        self._clock = clock
        self._allowed = list(allowed_updates)
        self._timeout = timeout
        self._may_poll = may_poll
        self.idle = asyncio.Event()
        """Set while waiting for Telegram with everything received processed and stored."""

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set (a batch being processed is finished first) or this instance
        may no longer poll. Raises PollConflict when Telegram says another bot polls."""
        async with self._sessions() as session:
            offset = await resume_offset(session, self._clock.now())
        wait = RETRY_FIRST
        while not stop.is_set() and self._may_poll():
            self.idle.set()
            try:
                batch = await _until_stopped(self._get(offset), stop)
            except InvalidToken:
                raise
            except Conflict as error:
                raise PollConflict(error.message) from None
            except RetryAfter as error:
                asked = retry_after_seconds(error)
                log.warning("getUpdates: flood control; trying again in %.0f s", asked)
                await _pause(asked, stop)
                continue
            except (TimedOut, NetworkError) as error:
                log.warning("getUpdates failed (%s); trying again in %.0f s", error, wait)
                wait = await _pause(wait, stop)
                continue
            if batch is None:
                return
            self.idle.clear()
            if not batch:
                continue
            try:
                await self._stream.handle(batch)
            except (OperationalError, InterfaceError):
                # Not confirmed: the batch comes again, and what was stored of it is skipped.
                log.exception("the database failed; the batch is processed again in %.0f s", wait)
                wait = await _pause(wait, stop)
                continue
            offset = int(batch[-1]["update_id"]) + 1
            wait = RETRY_FIRST

    async def _get(self, offset: int | None) -> list[dict[str, Any]]:
        parameters: dict[str, Any] = {
            "timeout": self._timeout,
            "limit": BATCH_LIMIT,
            "allowed_updates": self._allowed,
        }
        if offset is not None:
            parameters["offset"] = offset
        found = await self._bot.do_api_request(
            "getUpdates", api_kwargs=parameters, read_timeout=self._timeout + READ_MARGIN
        )
        return list(found or [])


async def _until_stopped(
    call: Awaitable[list[dict[str, Any]]], stop: asyncio.Event
) -> list[dict[str, Any]] | None:
    """The call's result, or None when `stop` is set first (the call is then abandoned)."""
    getting = asyncio.ensure_future(call)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({getting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not getting.done():
            getting.cancel()
            with suppress(asyncio.CancelledError, NetworkError):
                await getting
    return getting.result() if not getting.cancelled() else None


async def _pause(wait: float, stop: asyncio.Event) -> float:
    """Wait `wait` seconds (less when stopped); the next wait."""
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), wait)
    return min(wait * 2, RETRY_MAX)
