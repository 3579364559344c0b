"""Reports asked for in Telegram: the rows their buttons name, what a row covers for the person
reading it, and the text report posted with its HTML and CSV buttons (for /report and for the
weekly report alike)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.supervision.query import Period, log_report
from bot.features.supervision.text import render_text
from bot.platform.i18n import Catalogs
from bot.platform.outbox.items import JSONObject, Outgoing
from bot.platform.outbox.store import enqueue
from bot.platform.storage.models import OutboxItem, ReportRequest
from bot.platform.text_limits import TEXT_LIMIT, split_text, utf16_len
from policies.group_policy import GroupPolicy
from policies.report_period import ReportPeriod
from policies.report_scope import Scope
from policies.supervision import Report

TEXT_KIND = "report/text"
HTML_BUTTON, CSV_BUTTON = "rph", "rpc"
MAX_TEXT_PARTS = 3
"""A text report in chat is at most this many messages; the rest is in the HTML file."""


async def new_request(
    session: AsyncSession,
    *,
    reader_id: int,
    chat_id: int | None,
    period: ReportPeriod,
    zone: str,
    shown_in: int,
    now: datetime,
) -> ReportRequest:
    """Store what is asked for (a group, or None: all of the reader's scope); the row, with
    its id."""
    request = ReportRequest(
        reader_id=reader_id,
        chat_id=chat_id,
        since=period.since,
        until=period.until,
        zone=zone,
        shown_in=shown_in,
        created_at=now,
    )
    session.add(request)
    await session.flush()
    return request


def covered(request: ReportRequest, scope: Scope | None) -> frozenset[int] | None:
    """The groups the request covers for a reader allowed to read it: its group, or the
    reader's scope (None: every group)."""
    if request.chat_id is not None:
        return frozenset({request.chat_id})
    return None if scope is None else scope.chats


async def request_report(
    session: AsyncSession,
    request: ReportRequest,
    chats: frozenset[int] | None,
    defaults: GroupPolicy,
) -> Report:
    period = Period(request.since, request.until, request.zone, chats)
    return await log_report(session, period, defaults)


def chat_texts(report: Report, catalogs: Catalogs, lang: str, header: str = "") -> list[str]:
    """The text report as chat messages: at most MAX_TEXT_PARTS, the last one saying what was
    left for the HTML report."""
    body = render_text(report, catalogs, lang).strip("\n")
    parts = split_text(f"{header}\n\n{body}" if header else body)
    if len(parts) <= MAX_TEXT_PARTS:
        return parts
    note = "\n" + catalogs.text("report.chat.cut", lang)
    last = parts[MAX_TEXT_PARTS - 1]
    room = TEXT_LIMIT - utf16_len(note)
    while utf16_len(last) > room:
        last = last[: last.rfind("\n")] if "\n" in last else last[:room]
    return [*parts[: MAX_TEXT_PARTS - 1], last + note]


def document_buttons(catalogs: Catalogs, lang: str, request_id: int) -> JSONObject:
    return {
        "inline_keyboard": [
            [
                {
                    "text": catalogs.text("report.button.html", lang),
                    "callback_data": f"{HTML_BUTTON}:{request_id}",
                },
                {
                    "text": catalogs.text("report.button.csv", lang),
                    "callback_data": f"{CSV_BUTTON}:{request_id}",
                },
            ]
        ]
    }


async def text_posted(session: AsyncSession, request_id: int) -> bool:
    """Whether the request's text report is in the outbox already (sent or on its way)."""
    found = await session.scalar(
        select(OutboxItem.id)
        .where(OutboxItem.kind == TEXT_KIND, OutboxItem.subject_id == request_id)
        .limit(1)
    )
    return found is not None


async def post_text(
    session: AsyncSession,
    request: ReportRequest,
    texts: list[str],
    buttons: JSONObject,
    *,
    now: datetime,
    reply_to: int | None = None,
) -> None:
    """Queue the text report in the chat the request is shown in, its buttons under the last
    part; once per request, whoever asks again."""
    chat_id = request.shown_in
    for number, text in enumerate(texts, 1):
        payload: JSONObject = {"chat_id": chat_id, "text": text}
        if number == 1 and reply_to is not None:
            payload["reply_parameters"] = {
                "message_id": reply_to,
                "allow_sending_without_reply": True,
            }
        if number == len(texts):
            payload["reply_markup"] = buttons
        item = Outgoing(
            TEXT_KIND, chat_id, "sendMessage", payload, subject_id=request.id, part=str(number)
        )
        await enqueue(session, item, not_before=now)
