"""Seam events: kept once, the poller's cursor, notices, mutes, quiet hours, alert channels

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("door") as batch:
        batch.add_column(sa.Column("alert_channel", sa.String(32), nullable=True))
    with op.batch_alter_table("door_group") as batch:
        batch.add_column(sa.Column("alert_channel", sa.String(32), nullable=True))
    op.create_table(
        "seam_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column("device_id", sa.String(120), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
    )
    op.create_index("ix_seam_event_device_id", "seam_event", ["device_id"])
    op.create_index("ix_seam_event_occurred_at", "seam_event", ["occurred_at"])
    op.create_table(
        "event_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "event_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("device_id", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.UniqueConstraint("device_id", "kind", name="uq_event_notice"),
    )
    op.create_table(
        "event_mute",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_type", sa.String(80), nullable=False),
        sa.Column(
            "door_id", sa.Integer(), sa.ForeignKey("door.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("door_group.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("event_type", "door_id", "group_id", name="uq_event_mute"),
    )
    op.create_table(
        "quiet_hours",
        sa.Column("channel_id", sa.String(32), primary_key=True),
        sa.Column("start", sa.String(5), nullable=False),
        sa.Column("end", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("quiet_hours")
    op.drop_table("event_mute")
    op.drop_table("event_notice")
    op.drop_table("event_cursor")
    op.drop_table("seam_event")
    with op.batch_alter_table("door_group") as batch:
        batch.drop_column("alert_channel")
    with op.batch_alter_table("door") as batch:
        batch.drop_column("alert_channel")
