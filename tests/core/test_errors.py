"""Bad input gets a clear 4xx problem document, never a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from smartcity.core.error_handlers import install_error_handlers
from smartcity.core.http import api_router


class Point(BaseModel):
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    name: str


def _app() -> TestClient:
    router = api_router()

    @router.post("/api/v1/points")
    def create(point: Point) -> Point:
        return point

    @router.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("bug")

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    return TestClient(app, raise_server_exceptions=False)


def test_malformed_json_is_400() -> None:
    response = _app().post(
        "/api/v1/points", content=b'{"lon": 106.7,', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "malformed_json"


def test_wrong_types_are_422_listing_the_fields() -> None:
    response = _app().post("/api/v1/points", json={"lon": "east", "lat": 95})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_error"
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {"lon", "lat", "name"}
    assert problem["type"] == "/problems/validation_error"


def test_unexpected_error_is_a_500_problem_without_a_stack_trace() -> None:
    response = _app().get("/api/v1/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    problem = response.json()
    assert problem["code"] == "internal_error"
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


def test_wrong_method_is_405_problem() -> None:
    response = _app().delete("/api/v1/points")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_a_nul_character_is_a_clear_error_on_every_database(client: TestClient) -> None:
    """PostgreSQL refuses NUL in text: whatever field carries one, the answer is a 4xx."""
    response = client.post("/api/v1/auth/token", json={"email": "\u0000", "password": "x" * 12})
    assert response.status_code in (401, 422), response.text  # SQLite stores NUL; no such user
    assert response.headers["content-type"].startswith("application/problem+json")
    if response.status_code == 422:
        assert "NUL" in response.json()["detail"]
