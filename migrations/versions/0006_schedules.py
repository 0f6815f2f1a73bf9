"""schedules and their runs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedule",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column(
            "door_id", sa.Integer(), sa.ForeignKey("door.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("door_group.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("cron", sa.String(120), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("covered_until", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "schedule_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "schedule_id",
            sa.Integer(),
            sa.ForeignKey("schedule.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column(
            "batch_id",
            sa.Integer(),
            sa.ForeignKey("lock_batch.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.UniqueConstraint("schedule_id", "fire_at", name="uq_schedule_run"),
    )
    op.create_index("ix_schedule_run_schedule_id", "schedule_run", ["schedule_id"])


def downgrade() -> None:
    op.drop_table("schedule_run")
    op.drop_table("schedule")
