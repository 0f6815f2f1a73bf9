"""lock_request (user_id, created_at): the rate limit's count, run before every ack

It replaces the index on user_id alone, which it covers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_lock_request_user_id_created_at", "lock_request", ["user_id", "created_at"])
    op.drop_index("ix_lock_request_user_id", table_name="lock_request")


def downgrade() -> None:
    op.create_index("ix_lock_request_user_id", "lock_request", ["user_id"])
    op.drop_index("ix_lock_request_user_id_created_at", table_name="lock_request")
