"""Live messages: bot messages kept current with few edits (tallies, roll-call lists, prompts).

A feature posts a live message for one of its rows (kind + subject id) and later only marks it
dirty. `flush` edits at most one live message per chat per EDIT_INTERVAL: it clears the mark
and queues the edit in the outbox in one transaction, so a crash leaves either a dirty mark
(flushed after the restart) or a queued edit (sent by the outbox), never a wrong list for good.
What a live message shows is rendered from the database by its kind's renderer, each time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.platform.clock import Clock
from bot.platform.outbox.items import JSONObject, Outgoing, Settled
from bot.platform.outbox.store import enqueue, sent_answer
from bot.platform.storage.models import LiveMessage
from bot.platform.storage.upsert import insert_ignore

EDIT_INTERVAL = timedelta(seconds=5)
POST_KIND = "live/post"
EDIT_KIND = "live/edit"

Content = JSONObject
"""What a live message shows: Bot API text (and entities) and reply_markup."""

Renderer = Callable[[AsyncSession, int], Awaitable[Content | None]]
"""Renders a live message of one kind from its subject's id (None: the subject is gone)."""

Posted = Callable[[int, int], Awaitable[None]]
"""Told (subject id, chat id) once Telegram has posted a live message of its kind."""


@dataclass(frozen=True, slots=True)
class LiveKind:
    """What a feature gives for each kind of live message it posts."""

    render: Renderer
    posted: Posted | None = None


class LiveMessages:
    """Posts live messages, marks them stale and keeps them current; one per (kind, subject)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._kinds: dict[str, LiveKind] = {}

    def register(self, kind: str, live_kind: LiveKind) -> None:
        if kind in self._kinds:
            raise ValueError(f"live message kind {kind!r} is registered already")
        self._kinds[kind] = live_kind

    async def post(
        self,
        session: AsyncSession,
        *,
        kind: str,
        subject_id: int,
        chat_id: int,
        reply_to: int | None,
        now: datetime,
    ) -> bool:
        """Queue the live message of a subject; False when the subject has one already."""
        created = await insert_ignore(
            session,
            LiveMessage,
            {"kind": kind, "subject_id": subject_id, "chat_id": chat_id, "edits": 0},
            keys=["kind", "subject_id"],
        )
        if not created:
            return False
        live_id = await self._id(session, kind, subject_id)
        content = await self._render(session, kind, subject_id)
        payload: JSONObject = {"chat_id": chat_id, **(content or {}), "disable_notification": True}
        if reply_to is not None:
            payload["reply_parameters"] = {
                "message_id": reply_to,
                "allow_sending_without_reply": True,
            }
        post = Outgoing(POST_KIND, chat_id, "sendMessage", payload, subject_id=live_id)
        await enqueue(session, post, not_before=now)
        return True

    async def touch(self, session: AsyncSession, kind: str, subject_ids: Sequence[int]) -> None:
        """What these subjects show has changed: their messages are edited at the next flush."""
        await session.execute(
            update(LiveMessage)
            .where(LiveMessage.kind == kind, LiveMessage.subject_id.in_(subject_ids))
            .values(dirty=True)
            .execution_options(synchronize_session=False)
        )

    async def message_id(self, session: AsyncSession, kind: str, subject_id: int) -> int | None:
        """The live message's id in its chat, once Telegram has it."""
        found = await session.execute(
            select(LiveMessage.id, LiveMessage.message_id, LiveMessage.chat_id).where(
                LiveMessage.kind == kind, LiveMessage.subject_id == subject_id
            )
        )
        row = found.first()
        if row is None:
            return None
        live_id, message_id, chat_id = row
        if message_id is None:
            # The post may be sent while its result is not yet handled: the outbox knows.
            answer = await sent_answer(session, POST_KIND, chat_id, live_id) or {}
            message_id = answer.get("message_id")
            if isinstance(message_id, int):
                await self._store_message_id(session, live_id, message_id)
        return message_id if isinstance(message_id, int) else None

    async def subject_of(
        self, session: AsyncSession, kind: str, chat_id: int, message_id: int
    ) -> int | None:
        """The subject whose live message of `kind` is message `message_id` of the chat."""
        found: int | None = await session.scalar(
            select(LiveMessage.subject_id).where(
                LiveMessage.kind == kind,
                LiveMessage.chat_id == chat_id,
                LiveMessage.message_id == message_id,
            )
        )
        return found

    async def tick(self) -> datetime | None:
        """Queue the edits due by the clock, in a transaction of its own; see flush."""
        async with self._sessions() as session:
            next_due = await self.flush(session, self._clock.now())
            await session.commit()
        return next_due

    async def flush(self, session: AsyncSession, now: datetime) -> datetime | None:
        """Queue the edits due now, one per chat; when the next one will be due, if any.

        The caller commits. Rows are locked against a concurrent flush on PostgreSQL.
        """
        dirty = (
            await session.scalars(
                select(LiveMessage)
                .where(LiveMessage.dirty.is_(True), LiveMessage.message_id.is_not(None))
                .order_by(LiveMessage.chat_id, LiveMessage.edited_at.is_not(None))
                .order_by(LiveMessage.edited_at, LiveMessage.id)
                .with_for_update()
            )
        ).all()
        next_due: datetime | None = None
        for chat_id in sorted({live.chat_id for live in dirty}):
            waiting = [live for live in dirty if live.chat_id == chat_id]
            last = await session.scalar(
                select(func.max(LiveMessage.edited_at)).where(LiveMessage.chat_id == chat_id)
            )
            due = now if last is None else max(now, last + EDIT_INTERVAL)
            if due <= now:
                await self._edit(session, waiting.pop(0), now)
                due = now + EDIT_INTERVAL
            if waiting:
                next_due = due if next_due is None else min(next_due, due)
        return next_due

    async def _edit(self, session: AsyncSession, live: LiveMessage, now: datetime) -> None:
        live.dirty = False
        live.edited_at = now
        content = await self._render(session, live.kind, live.subject_id)
        if content is None:
            return
        live.edits += 1
        payload = {"chat_id": live.chat_id, "message_id": live.message_id, **content}
        edit = Outgoing(
            EDIT_KIND,
            live.chat_id,
            "editMessageText",
            payload,
            subject_id=live.id,
            part=str(live.edits),
        )
        await enqueue(session, edit, not_before=now)

    async def on_result(self, settled: Settled) -> None:
        """The outbox settled a post or an edit of a live message."""
        if not settled.sent or settled.subject_id is None:
            return
        live_id = settled.subject_id
        async with self._sessions() as session:
            if settled.kind == EDIT_KIND:
                # Pace from when an edit reached Telegram, not when it was queued.
                await session.execute(
                    update(LiveMessage)
                    .where(LiveMessage.id == live_id)
                    .values(edited_at=self._clock.now())
                    .execution_options(synchronize_session=False)
                )
                await session.commit()
                return
            if settled.message_id is None:
                return
            await self._store_message_id(session, live_id, settled.message_id)
            found = (
                await session.execute(
                    select(LiveMessage.kind, LiveMessage.subject_id).where(
                        LiveMessage.id == live_id
                    )
                )
            ).first()
            await session.commit()
        posted = self._kinds[found.kind].posted if found is not None else None
        if found is not None and posted is not None:
            await posted(found.subject_id, settled.chat_id)

    async def _store_message_id(self, session: AsyncSession, live_id: int, message_id: int) -> None:
        await session.execute(
            update(LiveMessage)
            .where(LiveMessage.id == live_id)
            .values(message_id=message_id)
            .execution_options(synchronize_session=False)
        )

    async def pending(self, session: AsyncSession) -> bool:
        """Whether some live message waits for an edit or for its id (tests and benches)."""
        found = await session.scalar(
            select(LiveMessage.id)
            .where(LiveMessage.dirty.is_(True) | LiveMessage.message_id.is_(None))
            .limit(1)
        )
        return found is not None

    async def _render(self, session: AsyncSession, kind: str, subject_id: int) -> Content | None:
        return await self._kinds[kind].render(session, subject_id)

    async def _id(self, session: AsyncSession, kind: str, subject_id: int) -> int:
        found = await session.scalar(
            select(LiveMessage.id).where(
                LiveMessage.kind == kind, LiveMessage.subject_id == subject_id
            )
        )
        assert found is not None, "inserted in the same transaction"
        return int(found)
