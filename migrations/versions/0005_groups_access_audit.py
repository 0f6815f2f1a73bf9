"""door groups, channel limits, grant permissions, the audit trail, and group lock batches

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _at(name: str, nullable: bool = False) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "door_group",
        _id(),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("key", sa.String(80), nullable=False, unique=True),
        _at("created_at"),
    )
    op.create_table(
        "door_group_member",
        _id(),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("door_group.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "door_id", sa.Integer(), sa.ForeignKey("door.id", ondelete="CASCADE"), nullable=False
        ),
        sa.UniqueConstraint("group_id", "door_id", name="uq_group_member"),
    )
    op.create_index("ix_door_group_member_group_id", "door_group_member", ["group_id"])
    op.create_index("ix_door_group_member_door_id", "door_group_member", ["door_id"])
    op.create_table(
        "door_channel",
        _id(),
        sa.Column(
            "door_id", sa.Integer(), sa.ForeignKey("door.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.UniqueConstraint("door_id", "channel_id", name="uq_door_channel"),
    )
    op.create_index("ix_door_channel_door_id", "door_channel", ["door_id"])
    op.create_table(
        "audit_event",
        _id(),
        _at("created_at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.String(1000), nullable=False),
    )
    op.create_index("ix_audit_event_created_at", "audit_event", ["created_at"])
    op.create_table(
        "lock_batch",
        _id(),
        sa.Column("request_id", sa.String(32), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("door_group.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("group_name", sa.String(80), nullable=True),
        sa.Column("channel_id", sa.String(32), nullable=True),
        sa.Column("response_url", sa.String(500), nullable=True),
        sa.Column("message_channel", sa.String(32), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_type", sa.String(64), nullable=True),
        sa.Column("summary", sa.String(1000), nullable=True),
        _at("created_at"),
        _at("finished_at", nullable=True),
    )
    op.create_index("ix_lock_batch_request_id", "lock_batch", ["request_id"])
    op.create_index("ix_lock_batch_user_id", "lock_batch", ["user_id"])
    op.create_index("ix_lock_batch_status", "lock_batch", ["status"])
    with op.batch_alter_table("lock_request") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_lock_request_batch_id", "lock_batch", ["batch_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_lock_request_batch_id", ["batch_id"])
    with op.batch_alter_table("access_grant") as batch:
        # Every grant so far let someone lock a door (or every door).
        batch.add_column(
            sa.Column("permission", sa.String(16), nullable=False, server_default="lock")
        )
        batch.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_access_grant_group_id", "door_group", ["group_id"], ["id"], ondelete="CASCADE"
        )
        batch.drop_constraint("uq_grant_subject_door", type_="unique")
        batch.create_unique_constraint(
            "uq_grant_subject_target", ["subject", "permission", "door_id", "group_id"]
        )


def downgrade() -> None:
    # Grants that only the new columns can express would widen into something else: drop them.
    op.execute("DELETE FROM access_grant WHERE permission <> 'lock' OR group_id IS NOT NULL")
    with op.batch_alter_table("access_grant") as batch:
        batch.drop_constraint("uq_grant_subject_target", type_="unique")
        batch.create_unique_constraint("uq_grant_subject_door", ["subject", "door_id"])
        batch.drop_constraint("fk_access_grant_group_id", type_="foreignkey")
        batch.drop_column("group_id")
        batch.drop_column("permission")
    with op.batch_alter_table("lock_request") as batch:
        batch.drop_index("ix_lock_request_batch_id")
        batch.drop_constraint("fk_lock_request_batch_id", type_="foreignkey")
        batch.drop_column("batch_id")
    op.drop_table("lock_batch")
    op.drop_table("audit_event")
    op.drop_table("door_channel")
    op.drop_table("door_group_member")
    op.drop_table("door_group")
