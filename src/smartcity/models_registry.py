"""Imports every module's tables so Alembic and the mappers see the whole schema."""

from __future__ import annotations

import importlib

#: Every package that owns tables, in dependency order.
MODEL_MODULES = (
    "smartcity.core.models",
    "smartcity.places.models",
    "smartcity.roads.models",
    "smartcity.traffic.models",
    "smartcity.reports.models",
    "smartcity.flood.models",
    "smartcity.dossiers.models",
)


def import_all_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
