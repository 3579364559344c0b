"""The tables. Times are aware UTC (callers pass `clock.now()`; no database clock defaults).

Closed sets of values are StrEnums stored as short strings; columns whose vocabulary grows with
features (message actions, held message kinds, audit actions) are plain strings.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.platform.storage.base import Base
from bot.platform.storage.types import (
    SERIAL_ID_TYPE,
    JsonList,
    JsonObject,
    SerialId,
    StoredString,
    StoredText,
    TelegramId,
    TelegramKey,
)


class HeldStatus(StrEnum):
    HELD = "held"
    RELEASING = "releasing"  # on a release page not yet delivered
    RELEASED = "released"
    OMITTED = "omitted"  # a bare acknowledgement of nothing, left out of the digest
    CANCELLED = "cancelled"


class DeleteStatus(StrEnum):
    PENDING = "pending"
    DELETED = "deleted"
    FAILED = "failed"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"


class AckVia(StrEnum):
    BUTTON = "button"
    MESSAGE = "message"


class RollcallStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class EntrySource(StrEnum):
    ORIGINAL = "original"
    BUTTON = "button"
    REPOST = "repost"


class HeaderStatus(StrEnum):
    PENDING = "pending"  # a table attached, its header not read yet
    READ = "read"
    UNREAD = "unread"  # could not be read: the key is the text's alone


class MatchStatus(StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class Chat(Base):
    """A chat the bot is or was in, with what it may do there."""

    __tablename__ = "chats"

    chat_id: Mapped[TelegramKey]
    type: Mapped[str] = mapped_column(StoredString(16))  # private | group | supergroup | channel
    title: Mapped[str | None] = mapped_column(StoredString(255))
    bot_is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    bot_can_delete: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    bot_sees_all: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The mode forced on the chat regardless of its policy (advise while a right is missing).
    fallback_mode: Mapped[str | None] = mapped_column(StoredString(8))
    fallback_reason: Mapped[str | None] = mapped_column(StoredString(40))
    rights_notice_sent_at: Mapped[datetime | None]
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]


class GroupPolicyOverride(Base):
    """A group's departures from the configured default policy (storage.policy_codec)."""

    __tablename__ = "group_policies"

    chat_id: Mapped[TelegramKey] = mapped_column(ForeignKey("chats.chat_id", ondelete="CASCADE"))
    overrides: Mapped[JsonObject]
    updated_at: Mapped[datetime]
    updated_by: Mapped[TelegramId | None]


class User(Base):
    """What the bot last saw of a Telegram user."""

    __tablename__ = "users"

    user_id: Mapped[TelegramKey]
    first_name: Mapped[str] = mapped_column(StoredString(255))
    last_name: Mapped[str | None] = mapped_column(StoredString(255))
    username: Mapped[str | None] = mapped_column(StoredString(64))
    language_code: Mapped[str | None] = mapped_column(StoredString(16))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # True once the user has started the bot in private, so it may message them.
    can_dm: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime]


class Member(Base):
    """The roster the bot keeps itself, since bots cannot list a group's members."""

    __tablename__ = "members"

    chat_id: Mapped[TelegramKey] = mapped_column(ForeignKey("chats.chat_id", ondelete="CASCADE"))
    user_id: Mapped[TelegramKey]
    # Telegram's ChatMember status: creator | administrator | member | restricted | left | kicked
    status: Mapped[str] = mapped_column(StoredString(16))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_seen_at: Mapped[datetime]


class MessageLog(Base):
    """Every processed group message and what was done with it: the after-hours record."""

    __tablename__ = "message_log"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id"),
        Index(None, "chat_id", "sent_at"),
        Index(None, "sender_id", "sent_at"),
        Index(None, "sent_at"),  # reports over every group, and the retention job
    )

    id: Mapped[SerialId]
    chat_id: Mapped[TelegramId]
    message_id: Mapped[TelegramId]
    sender_id: Mapped[TelegramId | None]
    sender_chat_id: Mapped[TelegramId | None]  # anonymous admins and channels post as a chat
    sent_at: Mapped[datetime]
    received_at: Mapped[datetime]
    labels: Mapped[JsonList]
    # passed | held | urgent_passed | exempt | advised | absorbed | merged | ...
    action: Mapped[str] = mapped_column(StoredString(20))
    reason: Mapped[str | None] = mapped_column(StoredString(40))
    after_hours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    quiet_reason: Mapped[str | None] = mapped_column(StoredString(80))
    urgent_reason: Mapped[str | None] = mapped_column(StoredText())
    text: Mapped[str | None] = mapped_column(StoredText())  # emptied after the retention period


class HeldMessage(Base):
    """A message removed from its group in quiet time, kept verbatim until its release."""

    __tablename__ = "held_messages"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id"),
        Index(None, "status", "release_at"),
        Index(None, "delete_status", "chat_id"),
    )

    id: Mapped[SerialId]
    chat_id: Mapped[TelegramId]
    message_id: Mapped[TelegramId]
    sender_id: Mapped[TelegramId | None]
    sent_at: Mapped[datetime]
    release_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(
        StoredString(16)
    )  # text | photo | document | voice | poll | ...
    # What re-posting needs: text/caption and entities, file_id, reply target, forward origin,
    # sender name.
    payload: Mapped[JsonObject]
    status: Mapped[str] = mapped_column(
        StoredString(10), default=HeldStatus.HELD, server_default=HeldStatus.HELD.value
    )
    delete_status: Mapped[str] = mapped_column(
        StoredString(10), default=DeleteStatus.PENDING, server_default=DeleteStatus.PENDING.value
    )
    delete_error: Mapped[str | None] = mapped_column(StoredText())
    released_at: Mapped[datetime | None]
    page_id: Mapped[int | None] = mapped_column(SERIAL_ID_TYPE, index=True)  # while releasing
    # When a release of it could not be delivered because the bot was not in the group.
    release_failed_at: Mapped[datetime | None]


class ReleasePage(Base):
    """One call of a release (a digest page, a re-sent photo …): the held messages it carries
    are released when it is delivered; `ack_for` is the demand it gets the button for."""

    __tablename__ = "release_pages"

    id: Mapped[SerialId]
    chat_id: Mapped[TelegramId]
    created_at: Mapped[datetime]
    ack_for: Mapped[int | None] = mapped_column(SERIAL_ID_TYPE)
    instant_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    delivered_at: Mapped[datetime | None]


class OutboxItem(Base):
    """A Bot API call that must happen exactly once, claimed and marked by the sender."""

    __tablename__ = "outbox"
    __table_args__ = (Index(None, "status", "not_before"), Index(None, "kind", "subject_id"))

    id: Mapped[SerialId]
    idempotency_key: Mapped[str] = mapped_column(StoredString(200), unique=True)
    # Whose item it is and what about: results are routed by kind; nobody parses the key.
    kind: Mapped[str] = mapped_column(StoredString(40))
    subject_id: Mapped[TelegramId | None]
    part: Mapped[str] = mapped_column(StoredString(40), default="", server_default="")
    chat_id: Mapped[TelegramId]
    method: Mapped[str] = mapped_column(StoredString(40))
    payload: Mapped[JsonObject]
    has_file: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[str] = mapped_column(
        StoredString(12), default=OutboxStatus.PENDING, server_default=OutboxStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    not_before: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(StoredString(64))
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(StoredText())
    result: Mapped[JsonObject | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class OutboxFile(Base):
    """The file an outbox item uploads (a CSV, a report), kept until the item is done with."""

    __tablename__ = "outbox_files"

    outbox_id: Mapped[int] = mapped_column(
        SERIAL_ID_TYPE,
        ForeignKey("outbox.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    field: Mapped[str] = mapped_column(StoredString(40))  # the call's parameter ("document")
    filename: Mapped[str] = mapped_column(StoredString(255))
    mime_type: Mapped[str] = mapped_column(StoredString(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class LiveMessage(Base):
    """A bot message kept current with coalesced edits: a tally, a roll-call list, a prompt."""

    __tablename__ = "live_messages"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id"),
        Index(None, "chat_id", "message_id"),
        Index(None, "dirty"),
    )

    id: Mapped[SerialId]
    kind: Mapped[str] = mapped_column(
        StoredString(40)
    )  # whose message: "ack/tally", "rollcall/list"
    subject_id: Mapped[int] = mapped_column(BigInteger)  # the row it shows
    chat_id: Mapped[TelegramId]
    message_id: Mapped[TelegramId | None]  # known once Telegram has it
    dirty: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    edits: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    edited_at: Mapped[datetime | None]  # the last edit, for the per-chat pace


class AckRequest(Base):
    """A message that asked for acknowledgements; its tally is a live message (kind ack/tally)."""

    __tablename__ = "ack_requests"
    __table_args__ = (
        UniqueConstraint("chat_id", "request_message_id"),
        Index(None, "chat_id", "expires_at"),
    )

    id: Mapped[SerialId]
    chat_id: Mapped[TelegramId]
    request_message_id: Mapped[TelegramId]
    requester_id: Mapped[TelegramId | None]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    total_members: Mapped[int | None]
    instant_reply: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Acknowledgement(Base):
    """One user's acknowledgement of one request, by button or by an absorbed message."""

    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("request_id", "user_id"),)

    id: Mapped[SerialId]
    request_id: Mapped[int] = mapped_column(
        SERIAL_ID_TYPE,
        ForeignKey("ack_requests.id", ondelete="CASCADE"),
    )
    user_id: Mapped[TelegramId]
    at: Mapped[datetime]
    via: Mapped[str] = mapped_column(StoredString(8))
    message_id: Mapped[TelegramId | None]  # the absorbed message, when via is "message"


class Rollcall(Base):
    """A 接龙 chain replaced by one bot message with a live list (kind rollcall/list)."""

    __tablename__ = "rollcalls"
    __table_args__ = (
        UniqueConstraint("chat_id", "source_message_id"),
        Index(None, "chat_id", "status"),
    )

    id: Mapped[SerialId]
    chat_id: Mapped[TelegramId]
    source_message_id: Mapped[TelegramId]
    initiator_id: Mapped[TelegramId | None]
    title: Mapped[str] = mapped_column(StoredText())
    status: Mapped[str] = mapped_column(
        StoredString(8), default=RollcallStatus.OPEN, server_default=RollcallStatus.OPEN.value
    )
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class RollcallEntry(Base):
    """One line of a roll-call; same-named people stay apart by user_id."""

    __tablename__ = "rollcall_entries"
    __table_args__ = (Index(None, "rollcall_id", "position"),)

    id: Mapped[SerialId]
    rollcall_id: Mapped[int] = mapped_column(
        SERIAL_ID_TYPE, ForeignKey("rollcalls.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(StoredText())
    extra: Mapped[str | None] = mapped_column(StoredText())  # a note such as 带家属 or 3人
    user_id: Mapped[TelegramId | None]
    source: Mapped[str] = mapped_column(StoredString(10))
    added_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]
    added_by: Mapped[TelegramId | None]


class ProcessedUpdate(Base):
    """A Telegram update the bot has processed, stored with its effects (exactly once)."""

    __tablename__ = "processed_updates"

    update_id: Mapped[TelegramKey]
    processed_at: Mapped[datetime]


class LeaderHeartbeat(Base):
    """The leading instance's heartbeat (PostgreSQL standby): one row, written every few seconds
    through the connection that holds the leader's lock."""

    __tablename__ = "leader_heartbeat"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    instance: Mapped[str] = mapped_column(StoredText())
    backend_pid: Mapped[int] = mapped_column(Integer)  # the session a standby may end
    beat_at: Mapped[datetime]


class AdminAudit(Base):
    """Each change an admin made to a group's rules, with the values before and after."""

    __tablename__ = "admin_audit"
    __table_args__ = (Index(None, "chat_id", "at"),)

    id: Mapped[SerialId]
    chat_id: Mapped[TelegramId]
    user_id: Mapped[TelegramId | None]  # None when an anonymous admin posted as the group
    action: Mapped[str] = mapped_column(StoredString(40))
    old: Mapped[JsonObject | None]
    new: Mapped[JsonObject | None]
    at: Mapped[datetime]


class NoticeSent(Base):
    """A notice told once per period (e.g. one advise-mode warning per quiet period).

    user_id 0 stands for the chat as a whole (no Telegram user has id 0), so the key stays unique.
    """

    __tablename__ = "notices_sent"

    chat_id: Mapped[TelegramKey]
    user_id: Mapped[TelegramKey]
    kind: Mapped[str] = mapped_column(StoredString(40), primary_key=True)
    period_key: Mapped[str] = mapped_column(StoredString(40), primary_key=True)
    sent_at: Mapped[datetime]


class NoticeFallback(Base):
    """The group notice to post instead of a private one (by the private notice's outbox key),
    when the person turns out not to be reachable."""

    __tablename__ = "notice_fallbacks"

    key: Mapped[str] = mapped_column(StoredString(200), primary_key=True)
    chat_id: Mapped[TelegramId]
    payload: Mapped[JsonObject]
    created_at: Mapped[datetime]


class ReportRequest(Base):
    """A report someone asked for: which group (or all of the reader's scope), which days, and
    where its buttons are shown. Buttons name only the row; every press is checked again."""

    __tablename__ = "report_requests"

    id: Mapped[SerialId]
    reader_id: Mapped[TelegramId]  # who asked (or whom the weekly report is for)
    chat_id: Mapped[TelegramId | None]  # one group; None: all of the reader's scope
    since: Mapped[date] = mapped_column(Date)  # local dates, inclusive
    until: Mapped[date] = mapped_column(Date)
    zone: Mapped[str] = mapped_column(StoredString(64))  # the local dates are read in it
    shown_in: Mapped[TelegramId]  # the chat whose buttons may name this row
    created_at: Mapped[datetime]


class WeeklySubscription(Base):
    """A supervisor who asked for the weekly report (/report weekly on), in their language."""

    __tablename__ = "weekly_subscriptions"

    user_id: Mapped[TelegramKey]
    enabled: Mapped[bool] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(StoredString(8))
    changed_at: Mapped[datetime]


class WeeklyReport(Base):
    """The weekly report of one supervisor for one week: the key that makes it once per week,
    whatever restarts, retries or instances there are."""

    __tablename__ = "weekly_reports"

    user_id: Mapped[TelegramKey]
    week_of: Mapped[date] = mapped_column(Date, primary_key=True)  # the local Monday it is sent
    request_id: Mapped[int] = mapped_column(
        SERIAL_ID_TYPE, ForeignKey("report_requests.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]


class DataRequestRecord(Base):
    """A fingerprinted data request: its key (policies.duplicates.stored_form) and its file.

    Its text is the message log's. A table attached is read after the message's transaction:
    `header` is pending until then (retried at `header_due_at`).
    """

    __tablename__ = "data_requests"
    __table_args__ = (
        UniqueConstraint("chat_id", "message_id"),
        Index(None, "header", "header_due_at"),
    )

    id: Mapped[SerialId]
    chat_id: Mapped[TelegramId]
    message_id: Mapped[TelegramId]
    sender_id: Mapped[TelegramId | None]
    sent_at: Mapped[datetime]
    key: Mapped[JsonObject]
    file_id: Mapped[str | None] = mapped_column(StoredString(255))
    file_name: Mapped[str | None] = mapped_column(StoredString(255))
    header: Mapped[str | None] = mapped_column(StoredString(8))  # HeaderStatus; None: no table
    header_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    header_due_at: Mapped[datetime | None]


class DataRequestKey(Base):
    """One lookup key of a request (policies.duplicates.lookup_keys): where candidates are found."""

    __tablename__ = "data_request_keys"
    __table_args__ = (Index(None, "lookup_key", "sent_at"),)

    request_id: Mapped[int] = mapped_column(
        SERIAL_ID_TYPE,
        ForeignKey("data_requests.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    lookup_key: Mapped[str] = mapped_column(StoredString(64), primary_key=True)
    sent_at: Mapped[datetime]


class DataRequestAnswer(Base):
    """A message posted in reply to a stored request: where it was answered."""

    __tablename__ = "data_request_answers"

    request_id: Mapped[int] = mapped_column(
        SERIAL_ID_TYPE,
        ForeignKey("data_requests.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    )
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    sender_id: Mapped[TelegramId | None]
    with_file: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sent_at: Mapped[datetime]


class DuplicateMatch(Base):
    """A later request linked to the earlier one asking for the same data, and the admins' word.

    `told_at` is set once the requester and the admins were told privately (after the commit
    that linked them, since whom to tell what is asked of Telegram).
    """

    __tablename__ = "duplicate_matches"
    __table_args__ = (Index(None, "told_at"),)

    id: Mapped[SerialId]
    request_id: Mapped[int] = mapped_column(
        SERIAL_ID_TYPE, ForeignKey("data_requests.id", ondelete="CASCADE"), unique=True
    )
    earlier_id: Mapped[int] = mapped_column(
        SERIAL_ID_TYPE, ForeignKey("data_requests.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(
        StoredString(10), default=MatchStatus.PROPOSED, server_default=MatchStatus.PROPOSED.value
    )
    created_at: Mapped[datetime]
    told_at: Mapped[datetime | None]
    decided_by: Mapped[TelegramId | None]
    decided_at: Mapped[datetime | None]


class RejectedPair(Base):
    """Two wordings an admin said ask for different data (policies.duplicates.rejection)."""

    __tablename__ = "duplicate_rejections"

    first: Mapped[str] = mapped_column(StoredString(24), primary_key=True)
    second: Mapped[str] = mapped_column(StoredString(24), primary_key=True)
    match_id: Mapped[int | None] = mapped_column(
        SERIAL_ID_TYPE, ForeignKey("duplicate_matches.id", ondelete="SET NULL")
    )
    at: Mapped[datetime]


class LearnedAlias(Base):
    """A wording an admin's confirmation taught: it names these data objects."""

    __tablename__ = "duplicate_aliases"

    alias: Mapped[str] = mapped_column(StoredString(64), primary_key=True)
    objects: Mapped[JsonList]
    match_id: Mapped[int | None] = mapped_column(
        SERIAL_ID_TYPE, ForeignKey("duplicate_matches.id", ondelete="SET NULL")
    )
    learned_at: Mapped[datetime]


class DigestSubscription(Base):
    """An official who asked for a personal digest (/digest on in private)."""

    __tablename__ = "digest_subscriptions"

    user_id: Mapped[TelegramKey]
    enabled: Mapped[bool] = mapped_column(Boolean)
    times: Mapped[JsonList | None]  # "HH:MM" local times; None: the default digest times
    chats: Mapped[JsonList | None]  # the chosen group ids; None: every group of theirs
    language: Mapped[str] = mapped_column(StoredString(8))
    paused_at: Mapped[datetime | None]  # they blocked the bot; cleared when they write again
    changed_at: Mapped[datetime]


class PersonalDigest(Base):
    """One personal digest of one recipient for one slot: the key that sends it once."""

    __tablename__ = "personal_digests"

    user_id: Mapped[TelegramKey]
    slot: Mapped[datetime] = mapped_column(primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    covered_to: Mapped[int | None] = mapped_column(BigInteger)  # the last message_log id covered
    created_at: Mapped[datetime]


class GroupDigest(Base):
    """One group digest (recap or batch) of one group for one slot: sent once."""

    __tablename__ = "group_digests"

    chat_id: Mapped[TelegramKey]
    slot: Mapped[datetime] = mapped_column(primary_key=True)
    items: Mapped[int] = mapped_column(Integer)
    covered_to: Mapped[int | None] = mapped_column(BigInteger)  # the last message_log id covered
    created_at: Mapped[datetime]


class SettingsMenu(Base):
    """A group's settings menu, opened privately for one of its admins: the menu's buttons
    name only this row (and the admin is asked again at every press), so forged data or a
    stale menu changes nothing the presser may not change. `awaiting` is the setting whose
    new value the admin was asked to type."""

    __tablename__ = "settings_menus"
    __table_args__ = (Index(None, "user_id", "updated_at"),)

    id: Mapped[SerialId]
    chat_id: Mapped[TelegramId]  # the group
    user_id: Mapped[TelegramId]  # the admin it was opened for
    view: Mapped[str] = mapped_column(StoredString(24), default="", server_default="")
    awaiting: Mapped[str | None] = mapped_column(StoredString(24))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
