"""Bring a database to a usable state: migrate, then load reference data (idempotent)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from smartcity.core.db import Database
from smartcity.core.migrate import upgrade
from smartcity.dossiers.service import dossiers as dossiers_service
from smartcity.places.service import places as places_service
from smartcity.reports.service import reports as reports_service

Seeder = Callable[[Session], object]


def reference_seeders() -> list[tuple[str, Seeder]]:
    """Reference data every installation needs, by module (each seeder is idempotent)."""
    return [
        ("places", places_service.seed),
        ("reports", reports_service.seed),
        ("dossiers", dossiers_service.seed),
    ]


def prepare_database(database: Database) -> None:
    upgrade(database)
    for _name, seed in reference_seeders():
        with database.session() as session:
            seed(session)
