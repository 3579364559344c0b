"""Initial schema.

Chats, roster, message log, held messages, outbox, acknowledgements, roll-calls, data requests,
digest subscriptions, supervisors, admin audit, once-per-period notices.

Revision ID: 0001
Revises:
Create Date: 2026-11-21 05:47:06.601770
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ack_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("request_message_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_message_id", sa.BigInteger(), nullable=True),
        sa.Column("requester_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_members", sa.Integer(), nullable=True),
        sa.Column("tally_dirty", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("tally_edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("instant_reply", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ack_requests")),
        sa.UniqueConstraint(
            "chat_id", "request_message_id", name=op.f("uq_ack_requests_chat_id_request_message_id")
        ),
    )
    op.create_index(
        op.f("ix_ack_requests_chat_id_expires_at"),
        "ack_requests",
        ["chat_id", "expires_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_ack_requests_tally_dirty"), "ack_requests", ["tally_dirty"], unique=False
    )
    op.create_table(
        "admin_audit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    op.create_index(
        op.f("ix_admin_audit_chat_id_at"), "admin_audit", ["chat_id", "at"], unique=False
    )
    op.create_table(
        "chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("bot_is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("bot_can_delete", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("bot_sees_all", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("fallback_mode", sa.String(length=8), nullable=True),
        sa.Column("fallback_reason", sa.String(length=40), nullable=True),
        sa.Column("rights_notice_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_chats")),
    )
    op.create_table(
        "data_requests",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
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
        "digest_subscriptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
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
        "held_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("release_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="held", nullable=False),
        sa.Column("delete_status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("delete_error", sa.Text(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outbox_key", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_messages")),
        sa.UniqueConstraint(
            "chat_id", "message_id", name=op.f("uq_held_messages_chat_id_message_id")
        ),
    )
    op.create_index(
        op.f("ix_held_messages_delete_status_chat_id"),
        "held_messages",
        ["delete_status", "chat_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_held_messages_status_release_at"),
        "held_messages",
        ["status", "release_at"],
        unique=False,
    )
    op.create_table(
        "message_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("sender_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("after_hours", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("quiet_reason", sa.String(length=80), nullable=True),
        sa.Column("urgent_reason", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_log")),
        sa.UniqueConstraint(
            "chat_id", "message_id", name=op.f("uq_message_log_chat_id_message_id")
        ),
    )
    op.create_index(
        op.f("ix_message_log_chat_id_sent_at"), "message_log", ["chat_id", "sent_at"], unique=False
    )
    op.create_index(
        op.f("ix_message_log_sender_id_sent_at"),
        "message_log",
        ["sender_id", "sent_at"],
        unique=False,
    )
    op.create_table(
        "notices_sent",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("period_key", sa.String(length=40), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "chat_id", "user_id", "kind", "period_key", name=op.f("pk_notices_sent")
        ),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index(
        op.f("ix_outbox_status_not_before"), "outbox", ["status", "not_before"], unique=False
    )
    op.create_table(
        "rollcalls",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("source_message_id", sa.BigInteger(), nullable=False),
        sa.Column("bot_message_id", sa.BigInteger(), nullable=True),
        sa.Column("initiator_id", sa.BigInteger(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("list_dirty", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("list_edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollcalls")),
        sa.UniqueConstraint(
            "chat_id", "source_message_id", name=op.f("uq_rollcalls_chat_id_source_message_id")
        ),
    )
    op.create_index(
        op.f("ix_rollcalls_chat_id_status"), "rollcalls", ["chat_id", "status"], unique=False
    )
    op.create_index(op.f("ix_rollcalls_list_dirty"), "rollcalls", ["list_dirty"], unique=False)
    op.create_table(
        "supervisors",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisors")),
    )
    op.create_index(op.f("ix_supervisors_user_id"), "supervisors", ["user_id"], unique=False)
    op.create_table(
        "users",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=False),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("is_bot", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("can_dm", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
    )
    op.create_table(
        "acknowledgements",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "request_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["ack_requests.id"],
            name=op.f("fk_acknowledgements_request_id_ack_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgements")),
        sa.UniqueConstraint(
            "request_id", "user_id", name=op.f("uq_acknowledgements_request_id_user_id")
        ),
    )
    op.create_table(
        "data_request_matches",
        sa.Column(
            "request_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column(
            "earlier_request_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
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
    op.create_table(
        "group_policies",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.chat_id"],
            name=op.f("fk_group_policies_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_group_policies")),
    )
    op.create_table(
        "members",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.chat_id"],
            name=op.f("fk_members_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_members")),
    )
    op.create_table(
        "rollcall_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "rollcall_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("extra", sa.Text(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_by", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["rollcall_id"],
            ["rollcalls.id"],
            name=op.f("fk_rollcall_entries_rollcall_id_rollcalls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollcall_entries")),
    )
    op.create_index(
        op.f("ix_rollcall_entries_rollcall_id_position"),
        "rollcall_entries",
        ["rollcall_id", "position"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rollcall_entries_rollcall_id_position"), table_name="rollcall_entries")
    op.drop_table("rollcall_entries")
    op.drop_table("members")
    op.drop_table("group_policies")
    op.drop_table("data_request_matches")
    op.drop_table("acknowledgements")
    op.drop_table("users")
    op.drop_index(op.f("ix_supervisors_user_id"), table_name="supervisors")
    op.drop_table("supervisors")
    op.drop_index(op.f("ix_rollcalls_list_dirty"), table_name="rollcalls")
    op.drop_index(op.f("ix_rollcalls_chat_id_status"), table_name="rollcalls")
    op.drop_table("rollcalls")
    op.drop_index(op.f("ix_outbox_status_not_before"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("notices_sent")
    op.drop_index(op.f("ix_message_log_sender_id_sent_at"), table_name="message_log")
    op.drop_index(op.f("ix_message_log_chat_id_sent_at"), table_name="message_log")
    op.drop_table("message_log")
    op.drop_index(op.f("ix_held_messages_status_release_at"), table_name="held_messages")
    op.drop_index(op.f("ix_held_messages_delete_status_chat_id"), table_name="held_messages")
    op.drop_table("held_messages")
    op.drop_index(op.f("ix_digest_subscriptions_user_id"), table_name="digest_subscriptions")
    op.drop_table("digest_subscriptions")
    op.drop_index(op.f("ix_data_requests_fingerprint"), table_name="data_requests")
    op.drop_index(op.f("ix_data_requests_created_at"), table_name="data_requests")
    op.drop_table("data_requests")
    op.drop_table("chats")
    op.drop_index(op.f("ix_admin_audit_chat_id_at"), table_name="admin_audit")
    op.drop_table("admin_audit")
    op.drop_index(op.f("ix_ack_requests_tally_dirty"), table_name="ack_requests")
    op.drop_index(op.f("ix_ack_requests_chat_id_expires_at"), table_name="ack_requests")
    op.drop_table("ack_requests")
