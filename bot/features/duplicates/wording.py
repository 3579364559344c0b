"""What the bot says about a duplicate: in the later group (never the earlier group's content),
to the requester and to the admins privately (the earlier text only to its group's members)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.platform.i18n import Catalogs
from bot.platform.policy_text import when_text

SUPERGROUP = "supergroup"
QUOTE_CHARS = 600  # a quoted request is cut here: the link leads to the whole of it
ANSWERS_LISTED = 10
SUPERGROUP_ID_OFFSET = 10**12  # a supergroup's chat id is -100<internal id>


@dataclass(frozen=True, slots=True)
class Answer:
    name: str
    link: str | None
    with_file: bool


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """One stored request as the texts tell it."""

    chat_title: str
    link: str | None
    sent_at: datetime
    text: str
    sender_name: str
    replies: int
    files: int
    answers: tuple[Answer, ...] = ()


def message_link(chat_id: int, chat_type: str | None, message_id: int) -> str | None:
    """A link only the chat's members can open (t.me/c/…); basic groups have none."""
    if chat_type != SUPERGROUP or chat_id > -SUPERGROUP_ID_OFFSET:
        return None
    return f"https://t.me/c/{-chat_id - SUPERGROUP_ID_OFFSET}/{message_id}"


def quoted(text: str) -> str:
    text = text.strip()
    return text if len(text) <= QUOTE_CHARS else f"{text[:QUOTE_CHARS]}…"


class Wording:
    def __init__(self, catalogs: Catalogs) -> None:
        self._catalogs = catalogs

    def _text(self, key: str, lang: str, **params: object) -> str:
        return self._catalogs.text(f"duplicates.{key}", lang, **params)

    def _when(self, facts: RequestFacts, lang: str, zone: str, now: datetime) -> str:
        return when_text(self._catalogs, lang, facts.sent_at, zone, now)

    def _answered(self, facts: RequestFacts, lang: str) -> dict[str, str]:
        """How many replies and files a request received, in words (their plural forms)."""
        return {
            "replies": self._text("replies", lang, count=facts.replies),
            "files": self._text("files", lang, count=facts.files),
        }

    def _link_line(self, facts: RequestFacts, lang: str) -> list[str]:
        return [self._text("link", lang, link=facts.link)] if facts.link else []

    def group_reply(self, earlier: RequestFacts, lang: str, zone: str, now: datetime) -> str:
        """In the later group: when and where, how it was answered, the link; nothing it said."""
        lines = [
            self._text(
                "group_reply",
                lang,
                date=self._when(earlier, lang, zone, now),
                group=earlier.chat_title,
                **self._answered(earlier, lang),
            ),
            *self._link_line(earlier, lang),
        ]
        return "\n".join(lines)

    def to_requester(
        self,
        later: RequestFacts,
        earlier: RequestFacts,
        lang: str,
        zone: str,
        now: datetime,
        *,
        member: bool,
    ) -> str:
        """The requester's note: the earlier text, link and answers when they are a member of
        the earlier group, else only what the group reply says."""
        lines = [
            self._text(
                "private_header",
                lang,
                group=later.chat_title,
                date=self._when(earlier, lang, zone, now),
                earlier_group=earlier.chat_title,
            )
        ]
        lines += self._earlier_details(earlier, lang, member=member)
        lines.append(self._text("private_note", lang))
        return "\n".join(lines)

    def _earlier_details(self, earlier: RequestFacts, lang: str, *, member: bool) -> list[str]:
        counts = self._text("counts", lang, **self._answered(earlier, lang))
        if not member:
            unseen = self._text("not_member", lang, earlier_group=earlier.chat_title)
            return [counts, *self._link_line(earlier, lang), unseen]
        lines = [
            self._text("earlier_text", lang, text=quoted(earlier.text)),
            *self._link_line(earlier, lang),
            counts,
        ]
        lines += self._answer_lines(earlier.answers, lang)
        return lines

    def _answer_lines(self, answers: Sequence[Answer], lang: str) -> list[str]:
        if not answers:
            return []
        lines = []
        for answer in answers[:ANSWERS_LISTED]:
            key = "answer_file" if answer.with_file else "answer"
            line = self._text(key, lang, name=answer.name)
            lines.append(f"{line} {answer.link}" if answer.link else line)
        if len(answers) > ANSWERS_LISTED:
            lines.append(self._text("answers_more", lang, count=len(answers) - ANSWERS_LISTED))
        return [self._text("answered_by", lang), *lines]

    def admin_prompt(
        self,
        later: RequestFacts,
        earlier: RequestFacts,
        lang: str,
        zone: str,
        now: datetime,
        *,
        member: bool,
    ) -> str:
        """To an admin of the later group: both requests as far as they may read them."""
        lines = [
            self._text(
                "admin_prompt",
                lang,
                group=later.chat_title,
                name=later.sender_name,
                text=quoted(later.text),
                date=self._when(earlier, lang, zone, now),
                earlier_group=earlier.chat_title,
            ),
            *self._earlier_details(earlier, lang, member=member),
            self._text("admin_question", lang),
        ]
        return "\n".join(lines)

    def buttons(self, match_id: int, lang: str, same: str, different: str) -> dict[str, object]:
        return {
            "inline_keyboard": [
                [
                    {
                        "text": self._text("button_same", lang),
                        "callback_data": f"{same}:{match_id}",
                    },
                    {
                        "text": self._text("button_different", lang),
                        "callback_data": f"{different}:{match_id}",
                    },
                ]
            ]
        }

    def decided(self, prompt: str, same: bool, name: str, lang: str) -> str:
        """The admins' prompt once decided: what it asked, and who decided what."""
        key = "decided_same" if same else "decided_different"
        return f"{prompt}\n\n{self._text(key, lang, name=name)}"

    def toast(self, key: str, lang: str, **params: object) -> str:
        return self._text(f"toast_{key}", lang, **params)
