"""lock_request: when lock_door answered and when the attempt was last known pending

With finished_at they bracket when the lock answered, which the poll plan learns from per device
(bot/locking/resolution.py); rows from before have neither and are not learned from.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lock_request") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_after", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lock_request") as batch:
        batch.drop_column("resolved_after")
        batch.drop_column("sent_at")
