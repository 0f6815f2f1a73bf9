"""one in-flight lock per door: lock_request.joined_id and a partial unique index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_FLIGHT = sa.text("status = 'pending' AND joined_id IS NULL AND door_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("lock_request") as batch:
        batch.add_column(sa.Column("joined_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_lock_request_joined_id", "lock_request", ["joined_id"], ["id"], ondelete="SET NULL"
        )
    # Requests left pending by older versions would break the index; they are all stale.
    op.execute(
        "UPDATE lock_request SET status = 'timed_out', error_type = 'timed_out' "
        "WHERE status = 'pending' AND id NOT IN ("
        "SELECT max(id) FROM lock_request WHERE status = 'pending' GROUP BY door_id)"
    )
    op.create_index(
        "uq_lock_request_in_flight_door",
        "lock_request",
        ["door_id"],
        unique=True,
        sqlite_where=IN_FLIGHT,
        postgresql_where=IN_FLIGHT,
    )


def downgrade() -> None:
    op.drop_index("uq_lock_request_in_flight_door", table_name="lock_request")
    with op.batch_alter_table("lock_request") as batch:
        batch.drop_constraint("fk_lock_request_joined_id", type_="foreignkey")
        batch.drop_column("joined_id")
