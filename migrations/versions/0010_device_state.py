"""device_state: each lock's last known facts (locked, online, battery) and when they were true

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "device_state",
        sa.Column("device_id", sa.String(120), primary_key=True),
        sa.Column("locked", sa.Boolean(), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_source", sa.String(16), nullable=True),
        sa.Column("locked_method", sa.String(32), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=True),
        sa.Column("online_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("battery_level", sa.Float(), nullable=True),
        sa.Column("battery_status", sa.String(16), nullable=True),
        sa.Column("battery_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("device_state")
