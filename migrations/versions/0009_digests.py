"""Digests: personal subscriptions, and one row per digest sent (the key that sends it once).

digest_subscriptions holds who opted into a personal digest (/digest in private): at which
times (none: the default digest times), from which groups (none: all of theirs), in which
language, and since when it is paused because the person blocked the bot. personal_digests
holds one row per (recipient, slot) and group_digests one per (group, slot): inserted in the
transaction that queues the digest, so a restart, a retry or a second instance sends nothing
twice; covered_to is the last message_log id it covered, where the next one starts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("times", sa.JSON(), nullable=True),
        sa.Column("chats", sa.JSON(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_digest_subscriptions")),
    )
    op.create_table(
        "personal_digests",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("covered_to", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "slot", name=op.f("pk_personal_digests")),
    )
    op.create_table(
        "group_digests",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("slot", sa.DateTime(timezone=True), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("covered_to", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "slot", name=op.f("pk_group_digests")),
    )


def downgrade() -> None:
    op.drop_table("group_digests")
    op.drop_table("personal_digests")
    op.drop_table("digest_subscriptions")
