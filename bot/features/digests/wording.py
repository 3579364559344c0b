"""Digests put into words: each item a line (its summary a link to the original, or to a held
message's released copy), the personal digest's sections and pages with their buttons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.features.digests.store import GroupFacts
from bot.features.duplicates.wording import message_link
from bot.features.holding.release import Formatted
from bot.platform.i18n import Catalogs
from bot.platform.policy_text import when_text
from bot.platform.text_limits import TEXT_LIMIT, utf16_len
from policies.features.digests import DigestItem, ItemKind, PersonalDigest, pages

ACK_BUTTON = "dack"
JOIN_BUTTON = "djoin"
BUTTONS_PER_ROW = 4
BUTTONS_PER_PAGE = 48  # well inside what one inline keyboard may hold


@dataclass(frozen=True, slots=True)
class Page:
    text: Formatted
    buttons: tuple[dict[str, str], ...] = ()

    def payload(self, chat_id: int, *, silent: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {"chat_id": chat_id} | self.text.fields("text", "entities")
        payload["link_preview_options"] = {"is_disabled": True}
        if silent:
            payload["disable_notification"] = True
        if self.buttons:
            rows = [
                list(self.buttons[i : i + BUTTONS_PER_ROW])
                for i in range(0, len(self.buttons), BUTTONS_PER_ROW)
            ]
            payload["reply_markup"] = {"inline_keyboard": rows}
        return payload


_Parts = tuple[Formatted, Formatted]
_CACHED_LINES = 200_000


def joined(lines: Sequence[Formatted]) -> Formatted:
    """The lines one under another, their entities moved with them (in one pass)."""
    texts: list[str] = []
    entities: list[dict[str, Any]] = []
    offset = 0
    for number, line in enumerate(lines):
        if number:
            texts.append("\n")
            offset += 1
        texts.append(line.text)
        entities += ({**e, "offset": e["offset"] + offset} for e in line.entities)
        offset += line.length
    return Formatted("".join(texts), tuple(entities))


class DigestWording:
    def __init__(self, catalogs: Catalogs) -> None:
        self._catalogs = catalogs
        # The same item is a line in many people's digests: worded once per fan-out.
        self._lines: dict[tuple[str, DigestItem, GroupFacts, datetime, bool], _Parts] = {}
        self._labels: dict[tuple[str, str, int], str] = {}

    def line(
        self,
        lang: str,
        item: DigestItem,
        group: GroupFacts,
        now: datetime,
        *,
        number: int | None = None,
        with_group: bool,
    ) -> Formatted:
        """One item: [number.] [urgent] [group] sender: summary (deadline); the summary links to
        the message `item.link_id` where Telegram has links (supergroups)."""
        key = (lang, item, group, now, with_group)
        parts = self._lines.get(key)
        if parts is None:
            if len(self._lines) >= _CACHED_LINES:
                self._lines.clear()
            parts = self._lines[key] = self._parts(lang, item, group, now, with_group)
        before, after = parts  # nothing before the number is formatted
        prefix = before.text + ("" if number is None else str(number))
        shift = utf16_len(prefix)
        moved = tuple({**e, "offset": e["offset"] + shift} for e in after.entities)
        return Formatted(prefix + after.text, moved)

    def _parts(
        self, lang: str, item: DigestItem, group: GroupFacts, now: datetime, with_group: bool
    ) -> _Parts:
        """The line before and after its number."""
        text = self._catalogs.text
        deadline = (
            text(
                "digest.deadline",
                lang,
                when=when_text(self._catalogs, lang, item.deadline, group.zone, now),
            )
            if item.deadline is not None
            else ""
        )
        template = text(
            "digest.line.personal" if with_group else "digest.line.group",
            lang,
            number="\x01",
            urgent=text("digest.urgent", lang) if item.urgent else "",
            group=group.title,
            sender=item.sender,
            summary="\x00",
            deadline=deadline,
        )
        head, _, tail = template.partition("\x00")
        summary = Formatted(item.summary or text("digest.no_text", lang))
        link = (
            None if item.link_id is None else message_link(item.chat_id, group.type, item.link_id)
        )
        if link is not None:
            entity = {"type": "text_link", "offset": 0, "length": summary.length, "url": link}
            summary = Formatted(summary.text, (entity,))
        before_number, _, after_number = head.partition("\x01")
        return Formatted(before_number), Formatted(after_number) + summary + Formatted(tail)

    def recap_lines(
        self, lang: str, items: Sequence[DigestItem], group: GroupFacts, now: datetime
    ) -> list[Formatted]:
        return [self.line(lang, item, group, now, with_group=False) for item in items]

    def personal_pages(
        self,
        lang: str,
        digest: PersonalDigest,
        groups: Mapping[int, GroupFacts],
        now: datetime,
    ) -> list[Page]:
        """The digest as pages of at most TEXT_LIMIT, never cutting an item; each page with
        the buttons of its own open acknowledgements and roll-calls."""
        text = self._catalogs.text
        rows: list[tuple[Formatted, dict[str, str] | None]] = []
        number = 0

        def add(item: DigestItem) -> None:
            nonlocal number
            number += 1
            line = self.line(lang, item, groups[item.chat_id], now, number=number, with_group=True)
            rows.append((line, self._button(lang, item, number)))

        if digest.action:
            rows.append((Formatted(text("digest.section.action", lang)), None))
            for bucket, items in digest.action:
                rows.append((Formatted(text(f"digest.bucket.{bucket.name.lower()}", lang)), None))
                for item in items:
                    add(item)
        if digest.info:
            rows.append((Formatted(text("digest.section.info", lang)), None))
            for item in digest.info:
                add(item)
        count = digest.count
        widest = text("digest.personal.header_part", lang, count=count, part=count, parts=count)
        room = TEXT_LIMIT - Formatted(widest).length - 1
        cut = pages([line.length for line, _ in rows], room)
        found = []
        for index, span in enumerate(cut, start=1):
            if len(cut) == 1:
                header = text("digest.personal.header", lang, count=count)
            else:
                header = text(
                    "digest.personal.header_part", lang, count=count, part=index, parts=len(cut)
                )
            shown = [Formatted(header)]
            buttons: list[dict[str, str]] = []
            for line, button in (rows[i] for i in span):
                shown.append(line)
                if button is not None and len(buttons) < BUTTONS_PER_PAGE:
                    buttons.append(button)
            body = joined(shown)
            found.append(Page(body, tuple(buttons)))
        return found

    def _button(self, lang: str, item: DigestItem, number: int) -> dict[str, str] | None:
        if item.kind is ItemKind.ACK:
            label, data = "digest.button.ack", f"{ACK_BUTTON}:{item.subject_id}"
        elif item.kind is ItemKind.ROLLCALL:
            label, data = "digest.button.join", f"{JOIN_BUTTON}:{item.subject_id}"
        else:
            return None
        key = (lang, label, number)
        shown = self._labels.get(key)
        if shown is None:
            shown = self._labels[key] = self._catalogs.text(label, lang, number=number)
        return {"text": shown, "callback_data": data}
