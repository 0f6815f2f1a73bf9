"""directory_version: one number that every change to the directory raises

Doors, aliases, groups, their members, channel limits and grants are what every `/lock` reads;
the lock path keeps them in memory (bot/locking/snapshot.py) and checks this number in the
transaction that records each batch of requests. Triggers raise it in the transaction of the
change itself, whoever makes it (bot/admin.py, `doors sync`, `config apply`, a test's seed), so
no code path can forget. On PostgreSQL the trigger also sends `NOTIFY lockbot_directory`.

SQLite's batch mode rebuilds a table (copy, drop, rename) and drops its triggers with it: a
later migration that batch-alters one of these tables must create its triggers again
(`create_triggers`).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("door", "door_alias", "door_group", "door_group_member", "door_channel", "access_grant")
_RAISE = (
    "INSERT INTO directory_version (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = directory_version.version + 1"
)


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "DECLARE raised bigint;\n"
            f"BEGIN\n  {_RAISE} RETURNING version INTO raised;\n"
            "  PERFORM pg_notify('lockbot_directory', raised::text);\n"
            "  RETURN NULL;\nEND $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER directory_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION directory_changed()"
            )
        return
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER directory_changed_{table}_{event.lower()} AFTER {event} "
                f"ON {table} BEGIN {_RAISE}; END"
            )


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS directory_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS directory_changed()")
        return
    for table in TABLES:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS directory_changed_{table}_{event}")


def upgrade() -> None:
    op.create_table(
        "directory_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO directory_version (id, version) VALUES (1, 0)")
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("directory_version")
