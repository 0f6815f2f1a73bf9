"""schedule_run: an index of open claims, which the leader checks for lost ones

A run is now claimed first (outcome `claimed`) and marked `ran` or `late` once its lock batch
is recorded; the leader looks for claims left without one every few seconds.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMED = sa.text("outcome = 'claimed'")


def upgrade() -> None:
    op.create_index(
        "ix_schedule_run_claimed",
        "schedule_run",
        ["started_at"],
        sqlite_where=CLAIMED,
        postgresql_where=CLAIMED,
    )


def downgrade() -> None:
    op.drop_index("ix_schedule_run_claimed", table_name="schedule_run")
