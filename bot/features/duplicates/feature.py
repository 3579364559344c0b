"""Duplicate data requests in the bot: the loader that looks across every group, the appliers,
the jobs after the message's transaction (a table's header, the private notes) and the admins'
buttons.

Nothing is lost on a crash: a request is stored in its message's transaction with its table
marked pending, and a match with its group reply; the header is read and the requester and
admins are told by a tick that finds what is still pending in the database, so a restart picks
up where it stopped, and every message goes through the outbox once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.duplicates import store
from bot.features.duplicates.lookup import Lookup
from bot.features.duplicates.wording import Answer, RequestFacts, Wording, message_link
from bot.platform.admins import Admins
from bot.platform.essentials import Essentials
from bot.platform.gateway import Gateway
from bot.platform.i18n import language_for
from bot.platform.inputs import Press
from bot.platform.outbox.items import Outgoing, delete_message
from bot.platform.outbox.store import enqueue, sent_answer
from bot.platform.pipeline import Decided, Feature
from bot.platform.settings import DuplicateSettings
from bot.platform.storage.models import (
    AdminAudit,
    Chat,
    DataRequestRecord,
    DuplicateMatch,
    HeaderStatus,
    MatchStatus,
    MessageLog,
    OutboxItem,
    OutboxStatus,
    User,
)
from policies.datakey import Lexicon, default_lexicon
from policies.decide import Fate, LogAction, Outcome, Situation
from policies.duplicates import (
    Attachment,
    data_request,
    from_stored,
    header_cells,
    rejection,
    taught_aliases,
)
from policies.features.duplicates import (
    DuplicateRules,
    DuplicatesState,
    FingerprintRequest,
    LinkDuplicate,
    RecordAnswer,
    as_request,
    is_request,
    may_be_request,
)
from policies.table_headers import MAX_BYTES, NotATable, table_header

log = logging.getLogger(__name__)

REPLY_KIND = "duplicates/reply"  # in the later group; subject: the match
PRIVATE_KIND = "duplicates/private"  # to the requester
PROMPT_KIND = "duplicates/prompt"  # to each admin, with the buttons
DECIDED_KIND = "duplicates/decided"  # a prompt edited once an admin decided
UNLINK_KIND = "duplicates/unlink"  # the group reply removed when admins say it was wrong
SAME_BUTTON, DIFFERENT_BUTTON = "dupy", "dupn"
HEADER_ATTEMPTS = 3
HEADER_RETRY = timedelta(minutes=2)
JOB_BATCH = 20


class Duplicates:
    def __init__(
        self,
        base: Essentials,
        gateway: Gateway,
        admins: Admins,
        settings: DuplicateSettings,
    ) -> None:
        self._base = base
        self._gateway = gateway
        self._admins = admins
        self._settings = settings
        self._rules = DuplicateRules(settings.window)
        self._lookup = Lookup(self._rules)
        self._wording = Wording(base.catalogs)
        self._lexicon: Lexicon | None = None
        self._work_waiting = False

    def feature(self) -> Feature[DuplicatesState]:
        return Feature(
            "duplicates",
            self._rules,
            self.load,
            {
                FingerprintRequest: self.fingerprint,
                LinkDuplicate: self.link,
                RecordAnswer: self.record_answer,
            },
        )

    def take_waiting_work(self) -> bool:
        """Whether messages since the last call left work for the tick (a header, a note)."""
        waiting, self._work_waiting = self._work_waiting, False
        return waiting

    async def lexicon(self, session: AsyncSession) -> Lexicon:
        """The packaged lexicon, the config's objects and the aliases admins taught."""
        if self._lexicon is None:
            configured = default_lexicon().with_objects(self._settings.objects)
            self._lexicon = configured.with_aliases(await store.learned_aliases(session))
        return self._lexicon

    # ---- the message pipeline ------------------------------------------------------------

    async def load(self, session: AsyncSession, situation: Situation) -> DuplicatesState:
        message = situation.message
        answers = None
        if message.reply_to is not None and not message.is_edit:
            answers = await store.answered_request(
                session, message.chat.id, message.reply_to.message_id
            )
        if not may_be_request(situation):
            return DuplicatesState(answers=answers)
        request = as_request(message, situation.policy.timezone, await self.lexicon(session))
        if not is_request(situation, request):
            return DuplicatesState(request, answers=answers)
        found = await self._lookup.comparable(
            session, request, message.sent_at, message.chat.id, message.sender_id or None
        )
        return DuplicatesState(request, found.candidates, found.rejected, answers, found.own)

    async def fingerprint(
        self, session: AsyncSession, effect: FingerprintRequest, decided: Decided
    ) -> None:
        message = decided.message
        table = message.attachment if effect.read_header else None
        await store.save_request(
            session,
            effect.request,
            chat_id=message.chat.id,
            message_id=message.message_id,
            sender_id=message.sender_id or None,
            sent_at=message.sent_at,
            file_id=table.file_id if table else None,
            file_name=table.file_name if table else None,
            header=HeaderStatus.PENDING.value if table else None,
        )
        if effect.unread:
            log.info(
                "data request %s/%s: its file gives no header (%s); keyed by its text",
                message.chat.id,
                message.message_id,
                effect.unread,
            )
        self._work_waiting = self._work_waiting or table is not None

    async def link(self, session: AsyncSession, effect: LinkDuplicate, decided: Decided) -> None:
        message = decided.message
        request_id = await store.request_id_of(session, message.chat.id, message.message_id)
        if request_id is not None:
            await self._link(session, request_id, effect.earlier_id, decided.now)

    async def _link(
        self, session: AsyncSession, request_id: int, earlier_id: int, now: datetime
    ) -> None:
        """Store the match and reply in the later group; the private notes follow in the tick."""
        match_id = await store.create_match(session, request_id, earlier_id, now)
        if match_id is None:
            return
        later = await session.get(DataRequestRecord, request_id)
        assert later is not None
        policy = await self._base.policy(session, later.chat_id)
        earlier = await self._facts(session, earlier_id)
        text = self._wording.group_reply(earlier, policy.language, policy.timezone, now)
        reply = Outgoing(
            REPLY_KIND,
            later.chat_id,
            "sendMessage",
            {
                "chat_id": later.chat_id,
                "text": text,
                "disable_notification": True,
                "link_preview_options": {"is_disabled": True},
                "reply_parameters": {
                    "message_id": later.message_id,
                    "allow_sending_without_reply": True,
                },
            },
            subject_id=match_id,
        )
        await enqueue(session, reply, not_before=now)
        self._work_waiting = True

    async def record_answer(
        self, session: AsyncSession, effect: RecordAnswer, decided: Decided
    ) -> None:
        message = decided.message
        await store.record_answer(
            session,
            effect.request_id,
            message_id=message.message_id,
            sender_id=message.sender_id or None,
            with_file=effect.with_file,
            sent_at=message.sent_at,
        )

    async def _facts(self, session: AsyncSession, request_id: int) -> RequestFacts:
        record = await session.get(DataRequestRecord, request_id)
        assert record is not None
        chat = await session.get(Chat, record.chat_id)
        sender = await session.get(User, record.sender_id) if record.sender_id else None
        counts = await store.answer_counts(session, request_id)
        answers = []
        for answer in await store.answers_of(session, request_id):
            user = await session.get(User, answer.sender_id) if answer.sender_id else None
            answers.append(
                Answer(
                    _name(user) if user else "",
                    message_link(record.chat_id, chat.type if chat else None, answer.message_id),
                    answer.with_file,
                )
            )
        return RequestFacts(
            chat_title=(chat.title if chat else None) or str(record.chat_id),
            link=message_link(record.chat_id, chat.type if chat else None, record.message_id),
            sent_at=record.sent_at,
            text=await store.logged_text(session, record.chat_id, record.message_id),
            sender_name=_name(sender) if sender else "",
            replies=counts.replies,
            files=counts.files,
            answers=tuple(answers),
        )

    # ---- the tick: tables' headers, then the private notes ---------------------------------

    async def run_due(self) -> datetime | None:
        """Read the headers due, tell what matches are untold; when a header is next due."""
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            due = await store.pending_headers(session, now, JOB_BATCH)
        for request_id in due:
            await self._read_header(request_id)
        async with self._base.sessions() as session:
            untold = await store.untold_matches(session, JOB_BATCH)
        for match_id in untold:
            await self._tell(match_id)
        async with self._base.sessions() as session:
            return await store.next_header_due(session)

    async def _read_header(self, request_id: int) -> None:
        async with self._base.sessions() as session:
            record = await session.get(DataRequestRecord, request_id)
            if record is None or record.header != HeaderStatus.PENDING or not record.file_id:
                return
            file_id, file_name = record.file_id, record.file_name or ""
        fetched = await self._gateway.download(file_id, MAX_BYTES)
        header = (
            await asyncio.to_thread(table_header, fetched.content, file_name)
            if fetched.content is not None
            else NotATable(fetched.reason)
        )
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            record = await session.get(DataRequestRecord, request_id)
            if record is None or record.header != HeaderStatus.PENDING:
                return
            if fetched.retry and record.header_attempts + 1 < HEADER_ATTEMPTS:
                record.header_attempts += 1
                record.header_due_at = now + HEADER_RETRY * record.header_attempts
                log.info(
                    "data request %s: file not fetched (%s); trying again",
                    request_id,
                    fetched.reason,
                )
            elif isinstance(header, NotATable):
                record.header = HeaderStatus.UNREAD.value
                log.info(
                    "data request %s: no header from %r (%s); keyed by its text",
                    request_id,
                    file_name,
                    header.reason,
                )
            else:
                record.header = HeaderStatus.READ.value
                await self._rekeyed(session, record, header.cells, header.title, now)
            await session.commit()

    async def _rekeyed(
        self,
        session: AsyncSession,
        record: DataRequestRecord,
        cells: Sequence[str],
        title: str,
        now: datetime,
    ) -> None:
        """The request keyed with its table's header; linked now if its words found nothing."""
        kept = from_stored(record.id, record.sent_at, record.key)
        policy = await self._base.policy(session, record.chat_id)
        text = await store.logged_text(session, record.chat_id, record.message_id)
        unique_id = kept.attachment.unique_id if kept.attachment else record.file_id or ""
        # The file's name (2026年低保对象花名册.xlsx) says what it is, like its title row.
        name = (record.file_name or "").rsplit(".", 1)[0]
        request = data_request(
            record.id,
            text,
            record.sent_at.astimezone(pytz.timezone(policy.timezone)),
            await self.lexicon(session),
            attachment=Attachment(unique_id, header_cells(cells)),
            attachment_title="\n".join(words for words in (title, name) if words),
        )
        await store.rekey(session, record.id, request)
        if not policy.duplicates or await store.has_match(session, record.id):
            return
        if not await self._was_helped(session, record):
            return
        found = await self._lookup.comparable(
            session, request, record.sent_at, record.chat_id, record.sender_id
        )
        earlier = self._rules.earlier(request, found.candidates, found.rejected, found.own)
        if earlier is not None:
            await self._link(session, record.id, earlier.id, now)

    async def _was_helped(self, session: AsyncSession, record: DataRequestRecord) -> bool:
        """Whether the message stayed in its group as a message should (see Outcome.helped)."""
        action = await session.scalar(
            select(MessageLog.action).where(
                MessageLog.chat_id == record.chat_id, MessageLog.message_id == record.message_id
            )
        )
        return action is not None and Outcome(Fate.KEPT, LogAction(action)).helped

    async def _tell(self, match_id: int) -> None:
        """The requester and the later group's admins, privately; the earlier group's text only
        to those Telegram says are its members now."""
        async with self._base.sessions() as session:
            match = await session.get(DuplicateMatch, match_id)
            if match is None or match.told_at is not None:
                return
            later = await session.get(DataRequestRecord, match.request_id)
            earlier = await session.get(DataRequestRecord, match.earlier_id)
            assert later is not None and earlier is not None
            later_chat, earlier_chat, requester = later.chat_id, earlier.chat_id, later.sender_id
        admins = [
            person.id
            for person, _ in await self._gateway.administrators(later_chat)
            if not person.is_bot
        ]
        readers = {user_id for user_id in (requester, *admins) if user_id and user_id > 0}
        members: dict[int, bool] = {}
        for user_id in readers:
            membership = await self._gateway.membership(earlier_chat, user_id)
            members[user_id] = membership is not None and membership.is_present
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            if not await store.mark_told(session, match_id, now):
                return
            match = await session.get(DuplicateMatch, match_id)
            if match is not None and match.status == MatchStatus.PROPOSED:
                await self._enqueue_notes(session, match, requester, admins, members, now)
            await session.commit()

    async def _enqueue_notes(
        self,
        session: AsyncSession,
        match: DuplicateMatch,
        requester: int | None,
        admins: Sequence[int],
        members: dict[int, bool],
        now: datetime,
    ) -> None:
        later_record = await session.get(DataRequestRecord, match.request_id)
        assert later_record is not None
        policy = await self._base.policy(session, later_record.chat_id)
        later = await self._facts(session, match.request_id)
        earlier = await self._facts(session, match.earlier_id)
        zone = policy.timezone
        if requester is not None and (user := await _writable(session, requester)):
            lang = language_for(user.language_code, policy.language)
            text = self._wording.to_requester(
                later, earlier, lang, zone, now, member=members.get(requester, False)
            )
            await _send_private(session, PRIVATE_KIND, requester, match.id, text, now)
        for admin_id in admins:
            user = await _writable(session, admin_id)
            if user is None:
                continue
            lang = language_for(user.language_code, policy.language)
            text = self._wording.admin_prompt(
                later, earlier, lang, zone, now, member=members.get(admin_id, False)
            )
            buttons = self._wording.buttons(match.id, lang, SAME_BUTTON, DIFFERENT_BUTTON)
            await _send_private(session, PROMPT_KIND, admin_id, match.id, text, now, buttons)

    # ---- the admins' buttons ---------------------------------------------------------------

    async def on_same(self, press: Press, match_id: int) -> str | None:
        return await self._decide(press, match_id, MatchStatus.CONFIRMED)

    async def on_different(self, press: Press, match_id: int) -> str | None:
        return await self._decide(press, match_id, MatchStatus.REJECTED)

    async def _decide(self, press: Press, match_id: int, status: MatchStatus) -> str | None:
        """An admin's word on a match: every press checked with Telegram, the first one counts."""
        lang = language_for(press.presser.language_code, self._base.defaults.language)
        async with self._base.sessions() as session:
            match = await session.get(DuplicateMatch, match_id)
            later = await session.get(DataRequestRecord, match.request_id) if match else None
            if match is None or later is None:
                return self._wording.toast("gone", lang)
            chat = await session.get(Chat, later.chat_id)
            title = (chat.title if chat else None) or str(later.chat_id)
        if not await self._admins.is_admin(later.chat_id, press.presser.id):
            return self._wording.toast("admins_only", lang, group=title)
        now = self._base.clock.now()
        async with self._base.sessions() as session:
            if not await store.decide(session, match_id, status, press.presser.id, now):
                return self._wording.toast("already", lang)
            learned, rejected = await self._record_decision(session, match_id, status, press, now)
            await session.commit()
        if learned and self._lexicon is not None:
            self._lexicon = self._lexicon.with_aliases(learned)
        if rejected is not None:
            self._lookup.rejected(rejected)
        return self._wording.toast("same" if status is MatchStatus.CONFIRMED else "different", lang)

    async def _record_decision(
        self, session: AsyncSession, match_id: int, status: MatchStatus, press: Press, now: datetime
    ) -> tuple[dict[str, tuple[str, ...]], frozenset[str] | None]:
        """What the decision teaches or remembers, its audit row, the prompts shown as decided;
        the aliases learned and the pair rejected."""
        match = await session.get(DuplicateMatch, match_id)
        assert match is not None
        later = await session.get(DataRequestRecord, match.request_id)
        earlier = await session.get(DataRequestRecord, match.earlier_id)
        assert later is not None and earlier is not None
        learned: dict[str, tuple[str, ...]] = {}
        pair = None
        if status is MatchStatus.CONFIRMED:
            texts = [
                await store.logged_text(session, record.chat_id, record.message_id)
                for record in (earlier, later)
            ]
            learned = taught_aliases(texts, await self.lexicon(session), now)
            await store.learn_aliases(session, learned, match_id, now)
        else:
            pair = rejection(
                from_stored(later.id, later.sent_at, later.key),
                from_stored(earlier.id, earlier.sent_at, earlier.key),
            )
            await store.reject_pair(session, pair, match_id, now)
            reply = await sent_answer(session, REPLY_KIND, later.chat_id, match_id)
            if reply is not None and isinstance(reply.get("message_id"), int):
                removal = delete_message(UNLINK_KIND, later.chat_id, reply["message_id"])
                await enqueue(session, removal, not_before=now)
        session.add(
            AdminAudit(
                chat_id=later.chat_id,
                user_id=press.presser.id,
                action=f"duplicates.{'confirm' if status is MatchStatus.CONFIRMED else 'reject'}",
                old={"status": MatchStatus.PROPOSED.value},
                new={
                    "status": status.value,
                    "request_id": later.id,
                    "earlier_id": earlier.id,
                    "aliases": {alias: list(names) for alias, names in learned.items()},
                },
                at=now,
            )
        )
        await self._show_decided(session, match_id, status, press, now)
        return learned, pair

    async def _show_decided(
        self, session: AsyncSession, match_id: int, status: MatchStatus, press: Press, now: datetime
    ) -> None:
        """Every admin's prompt loses its buttons and says who decided what."""
        prompts = await session.execute(
            select(OutboxItem.chat_id, OutboxItem.payload, OutboxItem.result).where(
                OutboxItem.kind == PROMPT_KIND,
                OutboxItem.subject_id == match_id,
                OutboxItem.status == OutboxStatus.SENT.value,
            )
        )
        name = press.presser.full_name
        for chat_id, payload, result in prompts:
            message_id = (result or {}).get("message_id")
            if not isinstance(message_id, int):
                continue
            user = await session.get(User, chat_id)
            lang = language_for(user.language_code if user else None, self._base.defaults.language)
            text = self._wording.decided(
                str(payload.get("text", "")), status is MatchStatus.CONFIRMED, name, lang
            )
            edit = Outgoing(
                DECIDED_KIND,
                chat_id,
                "editMessageText",
                {"chat_id": chat_id, "message_id": message_id, "text": text},
                subject_id=match_id,
            )
            await enqueue(session, edit, not_before=now)


def _name(user: User) -> str:
    return f"{user.first_name} {user.last_name}" if user.last_name else user.first_name


async def _writable(session: AsyncSession, user_id: int) -> User | None:
    """The user, when they have started the bot (it may write to them)."""
    user = await session.get(User, user_id)
    return user if user is not None and user.can_dm and not user.is_bot else None


async def _send_private(
    session: AsyncSession,
    kind: str,
    user_id: int,
    match_id: int,
    text: str,
    now: datetime,
    buttons: dict[str, object] | None = None,
) -> None:
    payload: dict[str, object] = {
        "chat_id": user_id,
        "text": text,
        "link_preview_options": {"is_disabled": True},
    }
    if buttons is not None:
        payload["reply_markup"] = buttons
    await enqueue(
        session,
        Outgoing(kind, user_id, "sendMessage", payload, subject_id=match_id),
        not_before=now,
    )
