"""Settings menus: an admin's private menu of a group's settings, named by its buttons.

settings_menus holds which group and admin a menu is for, the view it shows and the setting
whose value the admin was asked to type; a button's data is the row's id and the button's
place, so a forged or stale press is checked against the row and the admin's standing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "settings_menus",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("view", sa.String(length=24), server_default="", nullable=False),
        sa.Column("awaiting", sa.String(length=24), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settings_menus")),
    )
    op.create_index(
        op.f("ix_settings_menus_user_id_updated_at"),
        "settings_menus",
        ["user_id", "updated_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_settings_menus_user_id_updated_at"), table_name="settings_menus")
    op.drop_table("settings_menus")
