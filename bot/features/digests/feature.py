"""Digests in the bot: /digest (privately: a personal digest; in a group: its mode and times),
the ticks that send them once per slot, the buttons that acknowledge or join from a private
chat, batch mode in the message pipeline, and a blocked recipient's pause.

Once per slot: the digest's row (personal_digests or group_digests, keyed by recipient and
slot) is inserted in the transaction that queues its pages, whose outbox keys name the same
recipient and slot; a restart, a retry or a second instance finds the row and queues nothing.
A slot missed while the bot was down gives one digest (the latest slot), not one per slot.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

import pytz
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.features.acks.feature import Acks
from bot.features.digests.store import (
    GroupFacts,
    LastDigest,
    covered_to,
    done_by,
    is_present_member,
    last_group,
    last_personal,
    memberships,
    open_items,
    present_groups,
    recap_rows,
)
from bot.features.digests.wording import DigestWording
from bot.features.holding.release import Releases, compose_release
from bot.features.notices.tell import Notices
from bot.features.policy.commands import Change
from bot.features.rollcalls.feature import Rollcalls
from bot.platform.essentials import Essentials
from bot.platform.i18n import language_for
from bot.platform.inputs import Command, Press
from bot.platform.outbox.items import Outgoing, Settled
from bot.platform.outbox.store import enqueue
from bot.platform.pipeline import Feature
from bot.platform.storage.models import (
    AckRequest,
    Chat,
    DigestSubscription,
    GroupDigest,
    NoticeSent,
    PersonalDigest,
    Rollcall,
)
from bot.platform.storage.upsert import insert_ignore
from policies.calendar import holiday_data_covers
from policies.decide import Situation
from policies.features.digests import (
    BATCH_RULES,
    FIRST_DIGEST_LOOKBACK,
    BatchState,
    Buckets,
    PersonalChoice,
    Recipient,
    batch_release,
    compose_personal,
    current_slot,
    due_slot,
    fanout_order,
    next_slot,
    parse_personal,
    recap_since,
    slot_due,
    with_times,
)
from policies.features.digests import (
    PersonalDigest as Composed,
)
from policies.features.notices import period_key
from policies.group_policy import DigestMode, GroupPolicy, PolicyProblem, parse_digest_setting
from policies.message import Person

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Composition:
    """Due personal digests in the order they are sent, with what their pages name."""

    ordered: list[tuple[Composed, DigestSubscription, datetime]]
    groups: dict[int, GroupFacts]
    upto: int | None  # the last message_log id they cover


PERSONAL_KIND = "digest/personal"  # subject: the slot (Unix seconds); part: page number
GROUP_KIND = "digest/group"  # subject: the slot (Unix seconds); part: page number
GROUP_HEADER = "digest.group"  # the family of the group digest's headers
FALLBACK_NOTICE = "digest.batch_fallback"
FAN_OUT_CHUNK = 100  # digests queued per transaction
_BLOCKED = "Forbidden"


def digest_change(policy: GroupPolicy, args: Sequence[str]) -> Change:
    """/digest off|recap|batch [HH:MM …] or /digest HH:MM … from a group's admin."""
    parsed = parse_digest_setting(tuple(args))
    if isinstance(parsed, PolicyProblem):
        return Change(None, parsed.key, parsed.params)
    mode, times = parsed
    new = dataclasses.replace(
        policy,
        digest=mode or policy.digest,
        digest_times=policy.digest_times if times is None else times,
    )
    shown = " ".join(f"{at:%H:%M}" for at in new.digest_times)
    return Change(new, confirmation=f"digest.group.set.{new.digest}", params={"times": shown})


class Digests:
    def __init__(
        self,
        base: Essentials,
        notices: Notices,
        releases: Releases,
        acks: Acks,
        rollcalls: Rollcalls,
        wake: Callable[[], None],
    ) -> None:
        self._base = base
        self._notices = notices
        self._releases = releases
        self._acks = acks
        self._rollcalls = rollcalls
        self._wake = wake
        self._wording = DigestWording(base.catalogs)

    # ---- batch mode in the pipeline ----------------------------------------------------

    def feature(self) -> Feature[BatchState]:
        """Holding a batch group's notices: the Hold and Tell it decides are applied by the
        holding and notices features, like a quiet-time hold."""
        return Feature("digests", BATCH_RULES, self.load, {})

    async def load(self, session: AsyncSession, situation: Situation) -> BatchState:
        release_at = batch_release(situation)
        if release_at is None:
            return BatchState()
        message = situation.message
        told = await self._notices.told(
            session, message.chat.id, message.sender_id, period_key(release_at)
        )
        return BatchState(release_at, told)

    # ---- /digest in private ------------------------------------------------------------

    async def on_private_command(self, command: Command) -> str | None:
        """/digest in a private chat: show, switch on or off, set times or groups."""
        message = command.message
        person = message.sender
        if message.chat.is_group or person is None:
            return None
        base, now = self._base, self._base.clock.now()
        lang = language_for(person.language_code, base.defaults.language)
        choice = parse_personal(command.args)
        if isinstance(choice, PolicyProblem):
            return base.text(choice.key, lang, **choice.params)
        async with base.sessions() as session:
            groups = await self._groups_of(session, person.id)
            row = await session.get(DigestSubscription, person.id)
            if choice != PersonalChoice():
                changed = self._apply(row, choice, groups, person.id, lang, now)
                if isinstance(changed, str):
                    return changed
                if row is None:
                    session.add(changed)
                row = changed
            elif row is not None:
                row.paused_at = None  # they wrote to the bot again
            reply = self._status(row, groups, lang, now)
            await session.commit()
        return reply

    def _apply(
        self,
        row: DigestSubscription | None,
        choice: PersonalChoice,
        groups: list[GroupFacts],
        user_id: int,
        lang: str,
        now: datetime,
    ) -> DigestSubscription | str:
        """The subscription changed as asked (a new one when there was none), or a refusal."""
        if row is None:
            row = DigestSubscription(
                user_id=user_id, enabled=False, times=None, chats=None, language=lang
            )
        if choice.groups is not None:
            bad = next((n for n in choice.groups if n > len(groups)), None)
            if bad is not None:
                return self._base.text("digest.groups.invalid", lang, value=bad)
            row.chats = [groups[n - 1].chat_id for n in choice.groups] or None
        if choice.times is not None:
            times = [f"{at:%H:%M}" for at in choice.times]
            if next_slot(with_times(self._base.defaults, times), now) is None:
                return self._base.text("digest.never_due", lang, times=" ".join(times))
            row.times = times
        if choice.enabled is not None:
            row.enabled = choice.enabled
        row.language, row.paused_at, row.changed_at = lang, None, now
        return row

    def _status(
        self, row: DigestSubscription | None, groups: list[GroupFacts], lang: str, now: datetime
    ) -> str:
        text, base = self._base.text, self._base
        policy = with_times(base.defaults, row.times if row is not None else None)
        times = " ".join(f"{at:%H:%M}" for at in policy.digest_times)
        lines = [
            text("digest.status.on", lang, times=times)
            if row is not None and row.enabled
            else text("digest.status.off", lang, times=times)
        ]
        chosen = set(row.chats) if row is not None and row.chats else None
        if groups:
            lines.append(text("digest.groups.header", lang))
            for number, group in enumerate(groups, start=1):
                mark = (
                    "digest.groups.in"
                    if chosen is None or group.chat_id in chosen
                    else "digest.groups.out"
                )
                lines.append(text(mark, lang, number=number, title=group.title))
        else:
            lines.append(text("digest.groups.none", lang))
        year = now.astimezone(pytz.timezone(policy.timezone)).year
        if not holiday_data_covers(policy, year):
            lines.append(text("digest.calendar_unknown", lang, year=year))
        lines.append(text("digest.usage", lang))
        return "\n".join(lines)

    async def _groups_of(self, session: AsyncSession, user_id: int) -> list[GroupFacts]:
        """The groups the person is in now (and the bot too), by title."""
        groups = await self._facts(session, await present_groups(session))
        mine = (await memberships(session, [user_id], groups))[user_id]
        return sorted((groups[c] for c in mine), key=lambda g: (g.title, g.chat_id))

    async def _facts(self, session: AsyncSession, chats: dict[int, Chat]) -> dict[int, GroupFacts]:
        return {
            chat_id: GroupFacts(
                chat_id,
                chat.title or "",
                chat.type,
                (await self._base.policy(session, chat_id)).timezone,
            )
            for chat_id, chat in chats.items()
        }

    async def resume(self, person: Person) -> None:
        """They wrote to the bot again: a subscription paused when they blocked it resumes."""
        async with self._base.sessions() as session:
            result = await session.execute(
                update(DigestSubscription)
                .where(
                    DigestSubscription.user_id == person.id,
                    DigestSubscription.paused_at.is_not(None),
                )
                .values(paused_at=None)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
        if getattr(result, "rowcount", 0):
            log.info("digests: user %d wrote again; their digest resumes", person.id)

    async def on_settled(self, settled: Settled) -> None:
        """A page the recipient could not be sent because they blocked the bot: pause."""
        if settled.sent or not settled.reason.startswith(_BLOCKED):
            return
        async with self._base.sessions() as session:
            row = await session.get(DigestSubscription, settled.chat_id)
            if row is not None and row.paused_at is None:
                row.paused_at = self._base.clock.now()
                log.info(
                    "digests: user %d blocked the bot (%s); their digest is paused until they "
                    "write again",
                    settled.chat_id,
                    settled.reason,
                )
            await session.commit()

    # ---- buttons in a digest -----------------------------------------------------------

    async def on_ack(self, press: Press, request_id: int) -> str | None:
        """收到 pressed in a digest: counted in the group's tally, as the tally's button does."""
        async with self._base.sessions() as session:
            request = await session.get(AckRequest, request_id)
            if request is None or press.chat.id != press.presser.id:
                return None
            if not await is_present_member(session, request.chat_id, press.presser.id):
                return self._not_member(press)
            toast = await self._acks.acknowledge(session, request, press.presser)
            await session.commit()
        return toast

    async def on_join(self, press: Press, rollcall_id: int) -> str | None:
        """接龙 pressed in a digest: listed in the group's roll-call, as its button does."""
        async with self._base.sessions() as session:
            rollcall = await session.get(Rollcall, rollcall_id)
            if rollcall is None or press.chat.id != press.presser.id:
                return None
            if not await is_present_member(session, rollcall.chat_id, press.presser.id):
                return self._not_member(press)
            toast = await self._rollcalls.join(session, rollcall, press.presser)
            await session.commit()
        return toast

    def _not_member(self, press: Press) -> str:
        lang = language_for(press.presser.language_code, self._base.defaults.language)
        return self._base.text("digest.toast.not_member", lang)

    # ---- personal digests --------------------------------------------------------------

    async def personal_tick(self) -> datetime | None:
        """Queue each subscriber's digest of the slot now due, once; when the next is due."""
        base = self._base
        now = base.clock.now()
        async with base.sessions() as session:
            subscriptions = list(
                await session.scalars(
                    select(DigestSubscription).where(
                        DigestSubscription.enabled.is_(True),
                        DigestSubscription.paused_at.is_(None),
                    )
                )
            )
            sent = await last_personal(session)
        calendars: dict[tuple[str, ...], tuple[GroupPolicy, datetime | None]] = {}
        due: list[tuple[DigestSubscription, datetime]] = []
        for row in subscriptions:
            times = tuple(row.times or ())
            known = calendars.get(times)
            if known is None:
                policy = with_times(base.defaults, times)
                known = calendars[times] = (policy, current_slot(policy, now))
            last = sent.get(row.user_id)
            slot = slot_due(known[1], last.slot if last else None, row.changed_at)
            if slot is not None:
                due.append((row, slot))
        if due:
            await self.fan_out(due, sent, now)
        upcoming = [at for p, _ in calendars.values() if (at := next_slot(p, now)) is not None]
        return min(upcoming, default=None)

    async def compose(
        self,
        due: Sequence[tuple[DigestSubscription, datetime]],
        sent: dict[int, LastDigest],
        now: datetime,
    ) -> Composition:
        """Each due subscriber's digest, in the order they are sent (earliest deadlines first)."""
        async with self._base.sessions() as session:
            groups = await self._facts(session, await present_groups(session))
            users = [row.user_id for row, _ in due]
            member_of = await memberships(session, users, groups)
            recipients: dict[int, tuple[DigestSubscription, datetime, Recipient]] = {}
            for row, slot in due:
                chats = member_of[row.user_id]
                if row.chats:
                    chats = chats & frozenset(row.chats)
                last = sent.get(row.user_id)
                since = last.slot if last else slot - FIRST_DIGEST_LOOKBACK
                after = last.covered_to if last else None
                recipients[row.user_id] = (
                    row,
                    slot,
                    Recipient(row.user_id, chats, frozenset(), since, after),
                )
            wanted = {c for _, _, r in recipients.values() for c in r.chats}
            oldest = min((r.since for _, _, r in recipients.values()), default=now)
            upto = await covered_to(session)
            items = await open_items(session, {c: groups[c] for c in wanted}, since=oldest, now=now)
            done = await done_by(session, users, (i for found in items.values() for i in found))
        buckets = Buckets(now, self._base.defaults.timezone)
        composed = [
            compose_personal(dataclasses.replace(r, done=done[user_id]), items, buckets)
            for user_id, (_, _, r) in recipients.items()
        ]
        ordered = [(digest, *recipients[digest.user_id][:2]) for digest in fanout_order(composed)]
        return Composition(ordered, groups, upto)

    async def fan_out(
        self,
        due: Sequence[tuple[DigestSubscription, datetime]],
        sent: dict[int, LastDigest],
        now: datetime,
    ) -> int:
        """Queue the due digests, earliest deadlines first; the number queued."""
        composition = await self.compose(due, sent, now)
        ordered = composition.ordered
        queued = 0
        for start in range(0, len(ordered), FAN_OUT_CHUNK):
            async with self._base.sessions() as session:
                for digest, row, slot in ordered[start : start + FAN_OUT_CHUNK]:
                    queued += await self._queue_personal(
                        session, digest, row, slot, composition, now
                    )
                await session.commit()
            self._wake()
        return queued

    async def _queue_personal(
        self,
        session: AsyncSession,
        digest: Composed,
        row: DigestSubscription,
        slot: datetime,
        composition: Composition,
        now: datetime,
    ) -> int:
        added = await insert_ignore(
            session,
            PersonalDigest,
            {
                "user_id": row.user_id,
                "slot": slot,
                "items": digest.count,
                "covered_to": composition.upto,
                "created_at": now,
            },
            keys=["user_id", "slot"],
        )
        if not added or not digest.count:
            return 0
        pages = self._wording.personal_pages(row.language, digest, composition.groups, now)
        for number, page in enumerate(pages):
            item = Outgoing(
                PERSONAL_KIND,
                row.user_id,
                "sendMessage",
                page.payload(row.user_id, silent=False),
                subject_id=int(slot.timestamp()),
                part=str(number),
            )
            await enqueue(session, item, not_before=now)
        return 1

    # ---- group digests -----------------------------------------------------------------

    async def group_tick(self) -> datetime | None:
        """Post each group's recap (batch: with its held notices) of the slot now due, once;
        when the next is due. Runs before the release of held messages, so that a release due
        with the digest is part of it."""
        base = self._base
        now = base.clock.now()
        async with base.sessions() as session:
            chats = await present_groups(session)
            sent = await last_group(session)
            policies = {c: await base.policy(session, c) for c in chats}
        upcoming: list[datetime] = []
        for chat_id, chat in chats.items():
            policy = policies[chat_id]
            if policy.digest is DigestMode.OFF:
                continue
            last = sent.get(chat_id)
            slot = due_slot(policy, now, last.slot if last else None, chat.joined_at)
            if slot is not None:
                async with base.sessions() as session:
                    await self._group_digest(session, chat, policy, slot, last, now)
                    await session.commit()
                self._wake()
            at = next_slot(policy, now)
            if at is not None:
                upcoming.append(at)
        return min(upcoming, default=None)

    async def _group_digest(
        self,
        session: AsyncSession,
        chat: Chat,
        policy: GroupPolicy,
        slot: datetime,
        last: LastDigest | None,
        now: datetime,
    ) -> None:
        group = GroupFacts(chat.chat_id, chat.title or "", chat.type, policy.timezone)
        upto = await covered_to(session, chat.chat_id)
        since = recap_since(policy, slot)
        items = await recap_rows(session, group, since, last.covered_to if last else None, upto)
        added = await insert_ignore(
            session,
            GroupDigest,
            {
                "chat_id": chat.chat_id,
                "slot": slot,
                "items": len(items),
                "covered_to": upto,
                "created_at": now,
            },
            keys=["chat_id", "slot"],
        )
        if not added:
            return
        if policy.digest is DigestMode.BATCH and not chat.bot_can_delete:
            await self._tell_fallback_once(session, chat.chat_id, now)
        lang = policy.language
        lines = self._wording.recap_lines(lang, items, group, now)
        if await self._releases.release_chat(session, chat.chat_id, lines, GROUP_HEADER):
            return
        if not lines:
            return
        posts = compose_release(
            self._base.catalogs,
            lang,
            policy.timezone,
            chat.chat_id,
            [],
            now,
            preface=lines,
            family=GROUP_HEADER,
        )
        for number, post in enumerate(posts):
            item = Outgoing(
                GROUP_KIND,
                chat.chat_id,
                post.call.method,
                post.call.payload | {"link_preview_options": {"is_disabled": True}},
                subject_id=int(slot.timestamp()),
                part=str(number),
            )
            await enqueue(session, item, not_before=now)

    async def _tell_fallback_once(self, session: AsyncSession, chat_id: int, now: datetime) -> None:
        """Batch mode without the delete right falls back to a recap: the group is told once."""
        first = await insert_ignore(
            session,
            NoticeSent,
            {
                "chat_id": chat_id,
                "user_id": 0,
                "kind": FALLBACK_NOTICE,
                "period_key": "once",
                "sent_at": now,
            },
            keys=["chat_id", "user_id", "kind", "period_key"],
        )
        if first:
            await self._notices.tell_group(session, chat_id, FALLBACK_NOTICE, 0, now)
