"""Settings refuse an unsafe production start; the embedded database runs WAL with FKs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from smartcity.config import DEFAULT_SECRET_KEY, Settings
from smartcity.core.db import Database


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="SMARTCITY_SECRET_KEY"):
        Settings(env="production", secret_key=DEFAULT_SECRET_KEY)


def test_production_starts_with_a_private_secret() -> None:
    settings = Settings(
        env="production",
        secret_key="a-long-private-random-secret-value",
        payment_webhook_secret="the-secret-agreed-with-the-bank",
    )
    assert settings.env == "production"


def test_every_setting_is_described() -> None:
    undescribed = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undescribed == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path}/check.db")
    try:
        with database.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        database.dispose()
