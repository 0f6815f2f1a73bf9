"""doors, aliases, grants and lock requests

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "door",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        sa.Column("device_id", sa.String(120), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "door_alias",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "door_id",
            sa.Integer(),
            sa.ForeignKey("door.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("alias", sa.String(80), nullable=False),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
    )
    op.create_table(
        "access_grant",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("subject", sa.String(32), nullable=False, index=True),
        sa.Column(
            "door_id", sa.Integer(), sa.ForeignKey("door.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("subject", "door_id", name="uq_grant_subject_door"),
    )
    op.create_table(
        "lock_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column(
            "door_id", sa.Integer(), sa.ForeignKey("door.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("door_name", sa.String(80), nullable=True),
        sa.Column("device_id", sa.String(120), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("response_url", sa.String(500), nullable=True),
        sa.Column("message_channel", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("action_attempt_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("error_type", sa.String(64), nullable=True),
        sa.Column("error_message", sa.String(500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("deadline_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("lock_request")
    op.drop_table("access_grant")
    op.drop_table("door_alias")
    op.drop_table("door")
