"""Typed outbox, its files, live messages; unused tables dropped.

Outbox items get their kind, subject and part as columns (and their keys are rewritten from
them), and may carry a file (outbox_files). Tallies and roll-call lists become live messages:
their message id, dirty mark and last edit move from ack_requests and rollcalls to
live_messages. held_messages.outbox_key, which nothing read, goes, and so do the tables no
feature used (data_requests, data_request_matches, digest_subscriptions, supervisors); the
features that need such tables add their own.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 12:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TALLY, LIST = "ack/tally", "rollcall/list"

_outbox = sa.table(
    "outbox",
    sa.column("id", SERIAL),
    sa.column("idempotency_key", sa.String),
    sa.column("kind", sa.String),
    sa.column("subject_id", sa.BigInteger),
    sa.column("part", sa.String),
    sa.column("chat_id", sa.BigInteger),
)
_live = sa.table(
    "live_messages",
    sa.column("id", SERIAL),
    sa.column("kind", sa.String),
    sa.column("subject_id", sa.BigInteger),
    sa.column("chat_id", sa.BigInteger),
    sa.column("message_id", sa.BigInteger),
    sa.column("dirty", sa.Boolean),
    sa.column("edits", sa.Integer),
    sa.column("edited_at", sa.DateTime(timezone=True)),
)
# Old key prefixes ("held:chat:message") and the kinds they became.
_DELETES = {
    "held": "held/delete",
    "ackdel": "ack/delete",
    "rcdel": "rollcall/delete",
    "gnotice": "notice/group",
    "gnotice-delete": "notice/group_delete",
}


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=40), server_default="", nullable=False))
        batch.add_column(sa.Column("subject_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("part", sa.String(length=40), server_default="", nullable=False))
        batch.add_column(
            sa.Column("has_file", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.create_index(batch.f("ix_outbox_kind_subject_id"), ["kind", "subject_id"])
    op.create_table(
        "outbox_files",
        sa.Column("outbox_id", SERIAL, autoincrement=False, nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_files_outbox_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("outbox_id", name=op.f("pk_outbox_files")),
    )
    op.create_table(
        "live_messages",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("dirty", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("edits", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_messages")),
        sa.UniqueConstraint("kind", "subject_id", name=op.f("uq_live_messages_kind_subject_id")),
    )
    op.create_index(
        op.f("ix_live_messages_chat_id_message_id"), "live_messages", ["chat_id", "message_id"]
    )
    op.create_index(op.f("ix_live_messages_dirty"), "live_messages", ["dirty"])
    bind = op.get_bind()
    _copy_live(bind, "ack_requests", "request_message_id", "tally", TALLY)
    _copy_live(bind, "rollcalls", "source_message_id", "list", LIST)
    _type_outbox_items(bind)
    with op.batch_alter_table("ack_requests") as batch:
        batch.drop_index("ix_ack_requests_tally_dirty")
        batch.drop_column("bot_message_id")
        batch.drop_column("tally_dirty")
        batch.drop_column("tally_edited_at")
    with op.batch_alter_table("rollcalls") as batch:
        batch.drop_index("ix_rollcalls_list_dirty")
        batch.drop_column("bot_message_id")
        batch.drop_column("list_dirty")
        batch.drop_column("list_edited_at")
    with op.batch_alter_table("held_messages") as batch:
        batch.drop_column("outbox_key")
    op.drop_table("data_request_matches")
    op.drop_index("ix_data_requests_created_at", table_name="data_requests")
    op.drop_index("ix_data_requests_fingerprint", table_name="data_requests")
    op.drop_table("data_requests")
    op.drop_index("ix_digest_subscriptions_user_id", table_name="digest_subscriptions")
    op.drop_table("digest_subscriptions")
    op.drop_index("ix_supervisors_user_id", table_name="supervisors")
    op.drop_table("supervisors")


def _copy_live(bind: sa.Connection, table: str, source: str, prefix: str, kind: str) -> None:
    """Every request (roll-call) gets its live message, with what the old columns knew."""
    rows = bind.execute(
        sa.text(
            f"SELECT id, chat_id, bot_message_id, {prefix}_dirty, {prefix}_edited_at FROM {table}"
        )
    ).all()
    for subject_id, chat_id, message_id, dirty, edited_at in rows:
        bind.execute(
            _live.insert().values(
                kind=kind,
                subject_id=subject_id,
                chat_id=chat_id,
                message_id=message_id,
                dirty=bool(dirty),
                edits=0,
                edited_at=edited_at,
            )
        )


def _type_outbox_items(bind: sa.Connection) -> None:
    """Kind, subject and part from each old key; the key rewritten as the code now makes it."""
    live = {
        (kind, subject): live_id
        for live_id, kind, subject in bind.execute(
            sa.select(_live.c.id, _live.c.kind, _live.c.subject_id)
        )
    }
    sources = {
        (TALLY, chat, message): request
        for request, chat, message in bind.execute(
            sa.text("SELECT id, chat_id, request_message_id FROM ack_requests")
        )
    } | {
        (LIST, chat, message): rollcall
        for rollcall, chat, message in bind.execute(
            sa.text("SELECT id, chat_id, source_message_id FROM rollcalls")
        )
    }
    by_message = {
        (chat, message): live_id
        for live_id, chat, message in bind.execute(
            sa.select(_live.c.id, _live.c.chat_id, _live.c.message_id)
        )
        if message is not None
    }
    for item_id, key, chat_id in bind.execute(
        sa.select(_outbox.c.id, _outbox.c.idempotency_key, _outbox.c.chat_id)
    ).all():
        kind, subject, part = _typed(key, chat_id, live, sources, by_message)
        new_key = f"{kind}:{chat_id}:{'' if subject is None else subject}:{part}"
        bind.execute(
            _outbox.update()
            .where(_outbox.c.id == item_id)
            .values(kind=kind, subject_id=subject, part=part, idempotency_key=new_key[:200])
        )


def _typed(
    key: str,
    chat_id: int,
    live: dict[tuple[str, int], int],
    sources: dict[tuple[str, int, int], int],
    by_message: dict[tuple[int, int], int],
) -> tuple[str, int | None, str]:
    prefix, _, rest = key.partition(":")
    fields = rest.split(":")

    def number(index: int) -> int | None:
        try:
            return int(fields[index])
        except (IndexError, ValueError):
            return None

    if prefix in _DELETES:
        return _DELETES[prefix], number(1), ""
    if prefix == "notice":
        group, notice = number(0), fields[2] if len(fields) > 2 else ""
        if group == chat_id:
            return "notice/reply", number(1), notice
        return "notice/private", number(1), f"{group}:{notice}"
    if prefix == "instantrule":
        return "reminder", number(1), "rule.instant_reply"
    if prefix in ("ackreq", "rollcall"):
        kind = TALLY if prefix == "ackreq" else LIST
        source = sources.get((kind, number(0) or 0, number(1) or 0))
        return "live/post", live.get((kind, source)) if source is not None else None, ""
    if prefix == "liveedit":
        return "live/edit", by_message.get((number(0) or 0, number(1) or 0)), fields[-1]
    if prefix in ("release", "release-edit"):
        kind = "release/page" if prefix == "release" else "release/edit"
        return kind, number(1), fields[2] if len(fields) > 2 else ""
    if prefix == "rcnote":
        return "rollcall/note_prompt", number(0), ""
    if prefix == "rights" and fields[0] == "held":
        return "notice/chat", number(2), "rights.delete_failed"
    if prefix in ("rights", "intro"):
        kind = "onboarding/rights" if prefix == "rights" else "onboarding/intro"
        return kind, None, fields[-1][:40]
    return "legacy", None, key[:40]


def downgrade() -> None:
    op.create_table(
        "supervisors",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisors")),
    )
    op.create_index(op.f("ix_supervisors_user_id"), "supervisors", ["user_id"], unique=False)
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("times", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscriptions")),
    )
    op.create_index(
        op.f("ix_digest_subscriptions_user_id"), "digest_subscriptions", ["user_id"], unique=False
    )
    op.create_table(
        "data_requests",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
        sa.UniqueConstraint(
            "chat_id", "message_id", name=op.f("uq_data_requests_chat_id_message_id")
        ),
    )
    op.create_index(
        op.f("ix_data_requests_created_at"), "data_requests", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_data_requests_fingerprint"), "data_requests", ["fingerprint"], unique=False
    )
    op.create_table(
        "data_request_matches",
        sa.Column("request_id", SERIAL, autoincrement=False, nullable=False),
        sa.Column("earlier_request_id", SERIAL, autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["earlier_request_id"],
            ["data_requests.id"],
            name=op.f("fk_data_request_matches_earlier_request_id_data_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["data_requests.id"],
            name=op.f("fk_data_request_matches_request_id_data_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "request_id", "earlier_request_id", name=op.f("pk_data_request_matches")
        ),
    )
    with op.batch_alter_table("held_messages") as batch:
        batch.add_column(sa.Column("outbox_key", sa.String(length=200), nullable=True))
    # The old columns go back where they were: the tables are rebuilt (the foreign keys that
    # point at them are dropped meanwhile, or PostgreSQL would not let the old table go).
    _restore_live_columns(
        "ack_requests",
        "acknowledgements",
        "request_id",
        "tally",
        (
            "id",
            "chat_id",
            "request_message_id",
            "bot_message_id",
            "requester_id",
            "created_at",
            "expires_at",
            "closed_at",
            "total_members",
            "tally_dirty",
            "tally_edited_at",
            "instant_reply",
        ),
    )
    _restore_live_columns(
        "rollcalls",
        "rollcall_entries",
        "rollcall_id",
        "list",
        (
            "id",
            "chat_id",
            "source_message_id",
            "bot_message_id",
            "initiator_id",
            "title",
            "status",
            "created_at",
            "closed_at",
            "list_dirty",
            "list_edited_at",
        ),
    )
    bind = op.get_bind()
    for item_id, kind, subject, part, chat_id in bind.execute(
        sa.select(
            _outbox.c.id, _outbox.c.kind, _outbox.c.subject_id, _outbox.c.part, _outbox.c.chat_id
        )
    ).all():
        bind.execute(
            _outbox.update()
            .where(_outbox.c.id == item_id)
            .values(idempotency_key=_old_key(kind, chat_id, subject, part, item_id))
        )
    op.drop_index(op.f("ix_live_messages_dirty"), table_name="live_messages")
    op.drop_index(op.f("ix_live_messages_chat_id_message_id"), table_name="live_messages")
    op.drop_table("live_messages")
    op.drop_table("outbox_files")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index(batch.f("ix_outbox_kind_subject_id"))
        batch.drop_column("has_file")
        batch.drop_column("part")
        batch.drop_column("subject_id")
        batch.drop_column("kind")


def _restore_live_columns(
    table: str,
    child: str,
    child_column: str,
    prefix: str,
    columns: tuple[str, ...],
) -> None:
    """The old tally (list) columns back in their places (`columns`: the old order)."""
    fk = f"fk_{child}_{child_column}_{table}"
    with op.batch_alter_table(child) as batch:
        batch.drop_constraint(fk, type_="foreignkey")
    with op.batch_alter_table(
        table, recreate="always", partial_reordering=[columns]
    ) as batch:
        batch.add_column(sa.Column("bot_message_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column(f"{prefix}_dirty", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column(f"{prefix}_edited_at", sa.DateTime(timezone=True)))
        batch.create_index(f"ix_{table}_{prefix}_dirty", [f"{prefix}_dirty"])
    kind = TALLY if prefix == "tally" else LIST
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_live.c.subject_id, _live.c.message_id, _live.c.dirty, _live.c.edited_at).where(
            _live.c.kind == kind
        )
    ).all()
    target = sa.table(
        table,
        sa.column("id", SERIAL),
        sa.column("bot_message_id", sa.BigInteger),
        sa.column(f"{prefix}_dirty", sa.Boolean),
        sa.column(f"{prefix}_edited_at", sa.DateTime(timezone=True)),
    )
    for subject_id, message_id, dirty, edited_at in rows:
        values: dict[str, Any] = {
            "bot_message_id": message_id,
            f"{prefix}_dirty": dirty,
            f"{prefix}_edited_at": edited_at,
        }
        bind.execute(target.update().where(target.c.id == subject_id).values(values))
    with op.batch_alter_table(child) as batch:
        batch.create_foreign_key(fk, table, [child_column], ["id"], ondelete="CASCADE")


def _old_key(kind: str, chat_id: int, subject: int | None, part: str, item_id: int) -> str:
    """A key in the old code's form where it can still act on the item, else a unique one."""
    olds = {new: old for old, new in _DELETES.items()}
    if kind in olds:
        return f"{olds[kind]}:{chat_id}:{subject}"
    if kind in ("release/page", "release/edit"):
        prefix = "release" if kind == "release/page" else "release-edit"
        return f"{prefix}:{chat_id}:{subject}:{part}"
    if kind == "rollcall/note_prompt":
        return f"rcnote:{subject}"
    return f"{kind}:{chat_id}:{subject}:{part}:{item_id}"[:200]
