"""Release pages: a held message is released when the page that carries it is delivered.

release_pages holds one row per call of a release (a digest page, a re-sent photo …): the
outbox item that posts it is about it, so its result says which held messages went out, and
which demand on it gets its acknowledgement button. held_messages point at the page carrying
them while it is on its way (status "releasing"), and remember when a release of theirs failed
because the bot was not in the group (release_failed_at), so the late release says why.
notice_fallbacks keeps, for a private notice, the group notice to post instead when the person
cannot be written to (they blocked the bot).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# Release items queued before this revision name a held message, not a page; their messages
# were marked released when queued. They are still sent, under a kind no result handler hears,
# so none is taken for the page that happens to have the same id.
QUEUED_BEFORE = ("release/page", "release/edit")
SUFFIX = "-0007"


def upgrade() -> None:
    outbox = sa.table("outbox", sa.column("kind", sa.String), sa.column("status", sa.String))
    op.execute(
        outbox.update()
        .where(outbox.c.kind.in_(QUEUED_BEFORE), outbox.c.status.in_(("pending", "claimed")))
        .values(kind=outbox.c.kind + SUFFIX)
    )
    op.create_table(
        "release_pages",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ack_for", SERIAL, nullable=True),
        sa.Column("instant_reply", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_pages")),
    )
    with op.batch_alter_table("held_messages") as batch:
        batch.add_column(sa.Column("page_id", SERIAL, nullable=True))
        batch.add_column(
            sa.Column("release_failed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.create_index(batch.f("ix_held_messages_page_id"), ["page_id"])
    op.create_table(
        "notice_fallbacks",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notice_fallbacks")),
    )


def downgrade() -> None:
    outbox = sa.table("outbox", sa.column("kind", sa.String))
    for kind in QUEUED_BEFORE:
        op.execute(outbox.update().where(outbox.c.kind == kind + SUFFIX).values(kind=kind))
    op.drop_table("notice_fallbacks")
    with op.batch_alter_table("held_messages") as batch:
        batch.drop_index(batch.f("ix_held_messages_page_id"))
        batch.drop_column("release_failed_at")
        batch.drop_column("page_id")
    op.drop_table("release_pages")
