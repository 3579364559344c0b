"""Reports in the bot: requested reports, weekly subscriptions and sends, message_log.sent_at.

report_requests holds what a /report asked for (the buttons name only its id);
weekly_subscriptions who opted into the weekly report; weekly_reports one row per supervisor
and week, the key that sends it once. message_log gets an index on sent_at alone: reports over
every group filter and order by it, and the retention job looks for old rows by it (the other
indexes start with chat_id or sender_id).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_index(op.f("ix_message_log_sent_at"), "message_log", ["sent_at"])
    op.create_table(
        "report_requests",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("reader_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("shown_in", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_requests")),
    )
    op.create_table(
        "weekly_subscriptions",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_weekly_subscriptions")),
    )
    op.create_table(
        "weekly_reports",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("request_id", SERIAL, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["report_requests.id"],
            name=op.f("fk_weekly_reports_request_id_report_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "week_of", name=op.f("pk_weekly_reports")),
    )


def downgrade() -> None:
    op.drop_table("weekly_reports")
    op.drop_table("weekly_subscriptions")
    op.drop_table("report_requests")
    op.drop_index(op.f("ix_message_log_sent_at"), table_name="message_log")
