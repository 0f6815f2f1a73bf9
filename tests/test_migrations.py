"""Migrations are the only way the schema changes: they must match the models, both ways."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import bot.models  # noqa: F401  (registers the tables)
from bot.db import alembic_config, migrate, pending_migrations, sync_url


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = sa.create_engine(sync_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models differ from migrations; write a revision: {diff}"


def test_downgrade_to_nothing_and_back(database_url: str) -> None:
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    assert pending_migrations(database_url) != []
    engine = sa.create_engine(sync_url(database_url))
    tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()
    migrate(database_url)
    assert pending_migrations(database_url) == []
