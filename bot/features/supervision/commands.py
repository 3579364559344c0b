"""/report in Telegram: in a group for its admins, in private for supervisors (who pick a group
of their scope, or all of it), and the buttons that send the HTML and CSV reports privately.

Who may read is decided again at every step, from the configured scopes and from Telegram's
word on who is an admin: the command, every press, every file. A button names only a stored
request; one from another chat, or a forged one, is refused.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable

import pytz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.supervision.csv_log import CsvLog
from bot.features.supervision.html import render_html
from bot.features.supervision.query import Period, write_log_csv
from bot.features.supervision.requests import (
    TEXT_KIND,
    chat_texts,
    covered,
    document_buttons,
    new_request,
    post_text,
    request_report,
    text_posted,
)
from bot.features.supervision.weekly import WeeklyReports, scope_zone
from bot.platform.admins import Admins
from bot.platform.essentials import Essentials
from bot.platform.i18n import language_for
from bot.platform.inputs import Command, Press
from bot.platform.outbox.items import JSONObject, Outgoing, OutgoingFile, Settled
from bot.platform.outbox.store import enqueue
from bot.platform.roster import mark_unreachable
from bot.platform.settings import SupervisorSettings
from bot.platform.storage.models import Chat, OutboxItem, OutboxStatus, ReportRequest, User
from policies.message import ChatKind, Person
from policies.report_period import PeriodRefused, ReportPeriod, report_period
from policies.report_scope import Scope

log = logging.getLogger(__name__)

PICK_BUTTON = "rpo"
MENU_KIND = "report/menu"
HTML_KIND, CSV_KIND = "report/html", "report/csv"
REPORT_KINDS = (TEXT_KIND, MENU_KIND, HTML_KIND, CSV_KIND)
"""Every outbox kind a report is sent as; their results come back to Reports.on_settled."""
MAX_PICKS = 40
"""Groups offered one by one in the private menu; beyond them, the "all" button covers them."""
DOCUMENT_LIMIT = 50 * 1000 * 1000
"""The largest file the Bot API takes from a bot; a larger CSV is sent zipped."""
_GROUP_TYPES = ("group", "supergroup")
_TITLE_CHARS = 40


class Reports:
    def __init__(
        self,
        base: Essentials,
        admins: Admins,
        supervisors: SupervisorSettings,
        weekly: WeeklyReports,
        wake: Callable[[], None],
    ) -> None:
        self._base = base
        self._admins = admins
        self._supervisors = supervisors
        self._weekly = weekly
        self._wake = wake

    async def may_read(self, person_id: int, chat_id: int | None) -> bool:
        """A supervisor reads the groups of their scope (None: all of it), an admin their group."""
        scope = self._supervisors.scope_of(person_id)
        if chat_id is None:
            return scope is not None
        if scope is not None and scope.covers(chat_id):
            return True
        return await self._admins.is_admin(chat_id, person_id)

    def _lang(self, person: Person | None) -> str:
        code = person.language_code if person is not None else None
        return language_for(code, self._base.defaults.language)

    # ---- /report -----------------------------------------------------------------------------

    async def on_report(self, command: Command) -> str | None:
        """/report [7d|30d|YYYY-MM]; in private also /report weekly on|off. The reply, if any
        (a report itself goes through the outbox)."""
        if command.message.chat.kind is ChatKind.PRIVATE:
            return await self._in_private(command)
        return await self._in_group(command)

    async def _in_group(self, command: Command) -> str | None:
        message, base = command.message, self._base
        chat_id = message.chat.id
        async with base.sessions() as session:
            policy = await base.policy(session, chat_id)
        lang = language_for(command.reader_language, policy.language)
        sender = message.sender
        allowed = message.is_anonymous_admin or (
            sender is not None and not sender.is_bot and await self.may_read(sender.id, chat_id)
        )
        if not allowed:
            return base.text("report.chat.admins_only", lang)
        period = self._period(command.args, policy.timezone)
        if isinstance(period, PeriodRefused):
            return base.text(period.key, lang, **period.params)
        now = base.clock.now()
        async with base.sessions() as session:
            request = await new_request(
                session,
                reader_id=message.sender_id,
                chat_id=chat_id,
                period=period,
                zone=policy.timezone,
                shown_in=chat_id,
                now=now,
            )
            report = await request_report(session, request, covered(request, None), base.defaults)
            buttons = document_buttons(base.catalogs, lang, request.id)
            texts = chat_texts(report, base.catalogs, lang)
            await post_text(session, request, texts, buttons, now=now, reply_to=message.message_id)
            await session.commit()
        self._wake()
        return None

    async def _in_private(self, command: Command) -> str | None:
        sender, base = command.message.sender, self._base
        if sender is None:
            return None
        lang = self._lang(sender)
        scope = self._supervisors.scope_of(sender.id)
        if scope is None:
            return base.text("report.chat.supervisors_only", lang, user_id=sender.id)
        args = command.args
        if args and args[0].lower() == "weekly":
            return await self._weekly.subscribe(sender, args[1:], lang, scope)
        async with base.sessions() as session:
            zone = await scope_zone(session, scope, base.defaults)
            groups = await _groups_in(session, scope)
        period = self._period(args, zone)
        if isinstance(period, PeriodRefused):
            return base.text(period.key, lang, **period.params)
        if not groups:
            return base.text("report.chat.no_groups", lang)
        now = base.clock.now()
        async with base.sessions() as session:
            picks = []
            for chat_id, title in groups[:MAX_PICKS]:
                policy = await base.policy(session, chat_id)
                request = await new_request(
                    session,
                    reader_id=sender.id,
                    chat_id=chat_id,
                    period=period,
                    zone=policy.timezone,
                    shown_in=sender.id,
                    now=now,
                )
                picks.append((request.id, title))
            every = await new_request(
                session,
                reader_id=sender.id,
                chat_id=None,
                period=period,
                zone=zone,
                shown_in=sender.id,
                now=now,
            )
            picks.append((every.id, base.text("report.chat.all_groups", lang, count=len(groups))))
            await enqueue(
                session, self._menu(sender.id, lang, period, picks, groups), not_before=now
            )
            await session.commit()
        self._wake()
        return None

    def _period(self, args: tuple[str, ...], zone: str) -> ReportPeriod | PeriodRefused:
        if len(args) > 1:
            return PeriodRefused("report.chat.usage", {})
        today = self._base.clock.now().astimezone(pytz.timezone(zone)).date()
        return report_period(args[0] if args else None, today)

    def _menu(
        self,
        user_id: int,
        lang: str,
        period: ReportPeriod,
        picks: list[tuple[int, str]],
        groups: list[tuple[int, str]],
    ) -> Outgoing:
        """The private message with one button per group offered and one for all of them."""
        base = self._base
        text = base.text("report.chat.pick", lang, since=period.since, until=period.until)
        if len(groups) > MAX_PICKS:
            text += "\n" + base.text("report.chat.more_groups", lang, count=len(groups) - MAX_PICKS)
        keyboard = [
            [{"text": title[:_TITLE_CHARS], "callback_data": f"{PICK_BUTTON}:{request_id}"}]
            for request_id, title in picks
        ]
        payload: JSONObject = {
            "chat_id": user_id,
            "text": text,
            "reply_markup": {"inline_keyboard": keyboard},
        }
        return Outgoing(MENU_KIND, user_id, "sendMessage", payload, subject_id=picks[-1][0])

    # ---- buttons -----------------------------------------------------------------------------

    async def _pressed(self, press: Press, request_id: int) -> tuple[ReportRequest | None, str]:
        """The request a press names, when its buttons are shown in the chat pressed in, and
        the presser's language."""
        lang = self._lang(press.presser)
        async with self._base.sessions() as session:
            request = await session.get(ReportRequest, request_id)
        if request is None or request.shown_in != press.chat.id:
            return None, lang
        return request, lang

    async def on_pick(self, press: Press, request_id: int) -> str | None:
        """A group (or all of the scope) picked in the private menu: its text report, once."""
        base = self._base
        request, lang = await self._pressed(press, request_id)
        if request is None or request.reader_id != press.presser.id:
            return base.text("report.toast.gone", lang)
        if not await self.may_read(press.presser.id, request.chat_id):
            return base.text("report.toast.denied", lang)
        now = base.clock.now()
        async with base.sessions() as session:
            if await text_posted(session, request.id):
                return base.text("report.toast.shown", lang)
            scope = self._supervisors.scope_of(press.presser.id)
            report = await request_report(session, request, covered(request, scope), base.defaults)
            buttons = document_buttons(base.catalogs, lang, request.id)
            await post_text(
                session, request, chat_texts(report, base.catalogs, lang), buttons, now=now
            )
            await session.commit()
        self._wake()
        return base.text("report.toast.shown", lang)

    async def on_html(self, press: Press, request_id: int) -> str | None:
        return await self._send_document(press, request_id, HTML_KIND)

    async def on_csv(self, press: Press, request_id: int) -> str | None:
        return await self._send_document(press, request_id, CSV_KIND)

    async def _send_document(self, press: Press, request_id: int, kind: str) -> str:
        """The HTML or CSV report of the pressed request, privately to the presser, once (again
        only after a delivery that failed for good), covering what the presser may read now."""
        base, presser = self._base, press.presser
        request, lang = await self._pressed(press, request_id)
        if request is None:
            return base.text("report.toast.gone", lang)
        if not await self.may_read(presser.id, request.chat_id):
            return base.text("report.toast.denied", lang)
        now = base.clock.now()
        async with base.sessions() as session:
            user = await session.get(User, presser.id)
            if user is None or not user.can_dm:
                return base.text("report.toast.start_bot", lang)
            part = await _next_attempt(session, kind, presser.id, request.id)
            if part is None:
                return base.text("report.toast.already", lang)
            chats = covered(request, self._supervisors.scope_of(presser.id))
            document = await self._document(session, request, chats, kind, lang)
            if document is None:
                return base.text("report.toast.too_large", lang)
            caption = await self._caption(session, request, lang)
            delivery = Outgoing(
                kind,
                presser.id,
                "sendDocument",
                {"chat_id": presser.id, "caption": caption},
                subject_id=request.id,
                part=part,
                file=document,
            )
            await enqueue(session, delivery, not_before=now)
            await session.commit()
        self._wake()
        return base.text("report.toast.sending", lang)

    async def _document(
        self,
        session: AsyncSession,
        request: ReportRequest,
        chats: frozenset[int] | None,
        kind: str,
        lang: str,
    ) -> OutgoingFile | None:
        """The file, zipped when too large to send as it is; None when even that is too large."""
        base = self._base
        name = f"report-{request.since}-{request.until}"
        if request.chat_id is not None:
            name += f"-{request.chat_id}"
        if kind == HTML_KIND:
            report = await request_report(session, request, chats, base.defaults)
            content = render_html(report, base.catalogs, lang).encode("utf-8")
            name, mime = f"{name}.html", "text/html"
        else:
            buffer = io.BytesIO()
            csv = CsvLog(buffer, base.catalogs, lang)
            period = Period(request.since, request.until, request.zone, chats)
            await write_log_csv(session, period, base.defaults, csv)
            csv.close()
            content, name, mime = buffer.getvalue(), f"{name}.csv", "text/csv"
        if len(content) > DOCUMENT_LIMIT:
            content, name, mime = _zipped(name, content), f"{name}.zip", "application/zip"
            if len(content) > DOCUMENT_LIMIT:
                return None
        return OutgoingFile("document", name, content, mime)

    async def _caption(self, session: AsyncSession, request: ReportRequest, lang: str) -> str:
        base = self._base
        chat = await session.get(Chat, request.chat_id) if request.chat_id is not None else None
        what = (
            (chat.title or str(chat.chat_id))
            if chat is not None
            else base.text("report.chat.scope", lang)
        )
        return base.text(
            "report.document.caption", lang, what=what, since=request.since, until=request.until
        )

    # ---- results -----------------------------------------------------------------------------

    async def on_settled(self, settled: Settled) -> None:
        """A report the reader can no longer receive: note that they blocked the bot."""
        if settled.sent:
            return
        log.warning(
            "report %s (%s) to %s failed: %s",
            settled.subject_id,
            settled.kind,
            settled.chat_id,
            settled.reason,
        )
        if settled.chat_id > 0 and settled.reason.startswith("Forbidden"):
            async with self._base.sessions() as session:
                await mark_unreachable(session, settled.chat_id)
                await session.commit()


def _zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


async def _next_attempt(
    session: AsyncSession, kind: str, user_id: int, request_id: int
) -> str | None:
    """The outbox part for a new delivery of this file to this person; None when one is
    pending or sent already."""
    statuses = list(
        await session.scalars(
            select(OutboxItem.status).where(
                OutboxItem.kind == kind,
                OutboxItem.subject_id == request_id,
                OutboxItem.chat_id == user_id,
            )
        )
    )
    if any(status != OutboxStatus.FAILED for status in statuses):
        return None
    return str(len(statuses) + 1)


async def _groups_in(session: AsyncSession, scope: Scope) -> list[tuple[int, str]]:
    """The groups the bot knows within a scope, by title."""
    statement = select(Chat.chat_id, Chat.title).where(Chat.type.in_(_GROUP_TYPES))
    if scope.chats is not None:
        statement = statement.where(Chat.chat_id.in_(sorted(scope.chats)))
    rows = [(chat_id, title or str(chat_id)) for chat_id, title in await session.execute(statement)]
    return sorted(rows, key=lambda row: (row[1], row[0]))
