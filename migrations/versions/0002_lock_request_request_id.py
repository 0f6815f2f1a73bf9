"""lock_request.request_id, the id every log line of a request carries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lock_request") as batch:
        batch.add_column(sa.Column("request_id", sa.String(32), nullable=True))
        batch.create_index("ix_lock_request_request_id", ["request_id"])


def downgrade() -> None:
    with op.batch_alter_table("lock_request") as batch:
        batch.drop_index("ix_lock_request_request_id")
        batch.drop_column("request_id")
