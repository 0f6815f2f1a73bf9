"""Lock windows: a schedule's window and relock delay, and the relocks it is owed

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("state IN ('waiting', 'locking')")


def upgrade() -> None:
    with op.batch_alter_table("schedule") as batch:
        batch.add_column(sa.Column("window_minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("relock_after_s", sa.Integer(), nullable=True))
    op.create_table(
        "relock",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "door_id", sa.Integer(), sa.ForeignKey("door.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "schedule_id",
            sa.Integer(),
            sa.ForeignKey("schedule.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("method", sa.String(32), nullable=True),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_relock_schedule_id", "relock", ["schedule_id"])
    op.create_index("ix_relock_due_at", "relock", ["due_at"])
    op.create_index(
        "uq_relock_open_door",
        "relock",
        ["door_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_table("relock")
    with op.batch_alter_table("schedule") as batch:
        batch.drop_column("relock_after_s")
        batch.drop_column("window_minutes")
