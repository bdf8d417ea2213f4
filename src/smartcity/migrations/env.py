"""Alembic environment: every database (tests included) is built by these migrations."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from smartcity.core.db import Base, get_database
from smartcity.models_registry import import_all_models

import_all_models()
target_metadata = Base.metadata


#: Tables that database extensions (PostGIS) create; not ours to manage.
EXTENSION_TABLES = frozenset({"spatial_ref_sys", "geometry_columns", "geography_columns"})


def _include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    return not (type_ == "table" and name in EXTENSION_TABLES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with get_database().engine.connect() as connection:
        _run(connection)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
