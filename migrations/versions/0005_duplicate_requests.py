"""Duplicate data requests: fingerprinted requests, their lookup keys and answers, the matches
linked and the admins' decisions (rejected pairs, learned aliases).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC_TIME = sa.DateTime(timezone=True)


def _request_fk(table: str, column: str = "request_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["data_requests.id"],
        name=op.f(f"fk_{table}_{column}_data_requests"),
        ondelete="CASCADE",
    )


def _match_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["match_id"],
        ["duplicate_matches.id"],
        name=op.f(f"fk_{table}_match_id_duplicate_matches"),
        ondelete="SET NULL",
    )


def upgrade() -> None:
    op.create_table(
        "data_requests",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        sa.Column("key", sa.JSON(), nullable=False),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("header", sa.String(length=8), nullable=True),
        sa.Column("header_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("header_due_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_requests")),
        sa.UniqueConstraint(
            "chat_id", "message_id", name=op.f("uq_data_requests_chat_id_message_id")
        ),
    )
    op.create_index(
        op.f("ix_data_requests_header_header_due_at"), "data_requests", ["header", "header_due_at"]
    )
    op.create_table(
        "data_request_keys",
        sa.Column("request_id", SERIAL, autoincrement=False, nullable=False),
        sa.Column("lookup_key", sa.String(length=64), nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        _request_fk("data_request_keys"),
        sa.PrimaryKeyConstraint("request_id", "lookup_key", name=op.f("pk_data_request_keys")),
    )
    op.create_index(
        op.f("ix_data_request_keys_lookup_key_sent_at"),
        "data_request_keys",
        ["lookup_key", "sent_at"],
    )
    op.create_table(
        "data_request_answers",
        sa.Column("request_id", SERIAL, autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("sender_id", sa.BigInteger(), nullable=True),
        sa.Column("with_file", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        _request_fk("data_request_answers"),
        sa.PrimaryKeyConstraint("request_id", "message_id", name=op.f("pk_data_request_answers")),
    )
    op.create_table(
        "duplicate_matches",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("request_id", SERIAL, nullable=False),
        sa.Column("earlier_id", SERIAL, nullable=False),
        sa.Column("status", sa.String(length=10), server_default="proposed", nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("told_at", UTC_TIME, nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        _request_fk("duplicate_matches", "earlier_id"),
        _request_fk("duplicate_matches"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_matches")),
        sa.UniqueConstraint("request_id", name=op.f("uq_duplicate_matches_request_id")),
    )
    op.create_index(op.f("ix_duplicate_matches_told_at"), "duplicate_matches", ["told_at"])
    op.create_table(
        "duplicate_rejections",
        sa.Column("first", sa.String(length=24), nullable=False),
        sa.Column("second", sa.String(length=24), nullable=False),
        sa.Column("match_id", SERIAL, nullable=True),
        sa.Column("at", UTC_TIME, nullable=False),
        _match_fk("duplicate_rejections"),
        sa.PrimaryKeyConstraint("first", "second", name=op.f("pk_duplicate_rejections")),
    )
    op.create_table(
        "duplicate_aliases",
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("objects", sa.JSON(), nullable=False),
        sa.Column("match_id", SERIAL, nullable=True),
        sa.Column("learned_at", UTC_TIME, nullable=False),
        _match_fk("duplicate_aliases"),
        sa.PrimaryKeyConstraint("alias", name=op.f("pk_duplicate_aliases")),
    )


def downgrade() -> None:
    op.drop_table("duplicate_aliases")
    op.drop_table("duplicate_rejections")
    op.drop_index(op.f("ix_duplicate_matches_told_at"), table_name="duplicate_matches")
    op.drop_table("duplicate_matches")
    op.drop_table("data_request_answers")
    op.drop_index(op.f("ix_data_request_keys_lookup_key_sent_at"), table_name="data_request_keys")
    op.drop_table("data_request_keys")
    op.drop_index(op.f("ix_data_requests_header_header_due_at"), table_name="data_requests")
    op.drop_table("data_requests")
