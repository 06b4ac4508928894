"""Alembic environment: bouclier runs its migrations programmatically (see
``bouclier.registry.schema_migrations``); the caller hands over an open connection."""

from __future__ import annotations

from alembic import context

from bouclier.registry.tables import Base

VERSION_TABLE = "bouclier_schema_version"

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
