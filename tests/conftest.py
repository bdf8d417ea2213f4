"""Test set-up: one migrated database per run (SQLite, or PostgreSQL when
SMARTCITY_DATABASE_URL is set), the real app, and a live server for browser tests."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

_TMP = Path(tempfile.mkdtemp(prefix="smartcity-test-"))
os.environ["SMARTCITY_ENV"] = "testing"
os.environ["SMARTCITY_VAR_DIR"] = str(_TMP / "var")
os.environ["SMARTCITY_BACKGROUND"] = "false"  # tests start it where they need it
os.environ.setdefault("SMARTCITY_SECRET_KEY", "test-secret-key-not-for-production")

import uvicorn  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import text  # noqa: E402

from smartcity.bootstrap import prepare_database  # noqa: E402
from smartcity.config import get_settings  # noqa: E402
from smartcity.core import ratelimit  # noqa: E402
from smartcity.core.db import Database, set_database  # noqa: E402
from smartcity.main import create_app  # noqa: E402
from smartcity.roads import repository as roads_repository  # noqa: E402
from smartcity.roads.service import HCMC_EXTRACT_NAME, roads  # noqa: E402
from smartcity.roads.synthetic import generate_city  # noqa: E402
from smartcity.routing_engine.artefact import sha256_file  # noqa: E402
from support.webpush import PushService  # noqa: E402


def _reset_postgres(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Every test starts with full request buckets (they all come from one address)."""
    ratelimit.reset_all()
    yield
    ratelimit.reset_all()


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    settings = get_settings()
    database = Database(settings.effective_database_url)
    if not database.is_sqlite:
        _reset_postgres(database)
    set_database(database)
    prepare_database(database)
    yield database
    set_database(None)


@pytest.fixture(scope="session")
def app(database: Database) -> FastAPI:
    return create_app(database=database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real HCMC data (../shared/data or SMARTCITY_DATA_DIR); skip when absent."""
    directory = get_settings().data_dir
    if directory is None or not directory.is_dir():
        pytest.skip("real HCMC data not found: set SMARTCITY_DATA_DIR to shared/data")
    return directory


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, for browsers and HTTP clients."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


# --- road networks: importing switches the active one, so re-import only when needed ---


def use_network(database: Database, path: Path, *, synthetic: bool) -> None:
    with database.session() as session:
        active = roads_repository.active_network(session)
    if active is None or active.source_sha256 != sha256_file(path):
        roads.import_osm(database, path, synthetic=synthetic)


@pytest.fixture(scope="session")
def hcmc_pbf(data_dir: Path) -> Path:
    path = data_dir / "roads" / HCMC_EXTRACT_NAME
    if not path.is_file():
        pytest.skip(f"{HCMC_EXTRACT_NAME} not in the data dir")
    return path


@pytest.fixture(scope="session")
def small_city_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("city") / "small.osm.pbf"
    generate_city("small", 7, path)
    return path


@pytest.fixture
def hcmc_network(database: Database, hcmc_pbf: Path) -> Path:
    use_network(database, hcmc_pbf, synthetic=False)
    return hcmc_pbf


@pytest.fixture
def small_network(database: Database, small_city_pbf: Path) -> Path:
    use_network(database, small_city_pbf, synthetic=True)
    return small_city_pbf


@pytest.fixture
def push_service(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[PushService]:
    """A push service on loopback the server may deliver to, and a VAPID key of the test's own."""
    service = PushService()
    settings = get_settings()
    monkeypatch.setattr(
        settings, "webpush_endpoint_hosts", (*settings.webpush_endpoint_hosts, "127.0.0.1")
    )
    monkeypatch.setattr(settings, "webpush_vapid_key_path", tmp_path / "vapid.pem")
    yield service
    service.close()
