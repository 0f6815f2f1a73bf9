"""door sync: door.name_source, door.seam_name, door.missing_at

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("door") as batch:
        # Every door so far was named by hand with `lockbot doors add`.
        batch.add_column(
            sa.Column("name_source", sa.String(16), nullable=False, server_default="admin")
        )
        batch.add_column(sa.Column("seam_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("missing_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("door") as batch:
        batch.drop_column("missing_at")
        batch.drop_column("seam_name")
        batch.drop_column("name_source")
