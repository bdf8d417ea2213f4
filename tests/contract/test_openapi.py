"""Property-based contract test over the whole OpenAPI document (schemathesis).

Every operation is called with generated data: no 5xx, every status code and body
conforms to what the document declares, and invalid input is rejected.
"""

from __future__ import annotations

from pathlib import Path

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from smartcity.core.db import Database
from smartcity.core.schemas import PROBLEM_RESPONSES
from smartcity.main import create_app

# Loaded at import (schemathesis parametrizes at collection time); the database it talks
# to is the session's test database, which the `database` fixture sets up before any call.
# Server-sent event streams never end by design (tests/traffic reads them), so they are left out.
schema = schemathesis.openapi.from_asgi("/api/openapi.json", create_app()).exclude(
    path_regex=r"/stream$"
)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    # The fixtures are idempotent (the network is imported once), so sharing them is fine.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, database: Database, small_network: Path
) -> None:
    # Schema-valid data may still be refused for reasons a schema cannot express (a file
    # whose bytes are not an image, a point outside the city), so "positive data
    # acceptance" is not required; everything else is.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


def test_document_declares_problem_responses(app: FastAPI) -> None:
    document = app.openapi()
    assert "Problem" in document["components"]["schemas"]
    post = document["paths"]["/api/v1/files"]["post"]
    for status in PROBLEM_RESPONSES:
        assert str(status) in post["responses"]


def test_every_integer_in_a_path_is_bounded(app: FastAPI) -> None:
    """A path id larger than the database integer would overflow into a 500: bound them all."""
    unbounded = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                integer = parameter["in"] in ("path", "query") and schema.get("type") == "integer"
                if integer and not {"maximum", "exclusiveMaximum"} & schema.keys():
                    unbounded.append(f"{method.upper()} {path} {parameter['name']}")
    assert unbounded == []


def test_operations_open_to_anonymous_callers_say_so(app: FastAPI) -> None:
    """``{}`` among the security requirements = credentials are optional there."""
    paths = app.openapi()["paths"]
    optional = [
        ("/api/v1/reports/{report_id}/support", "post"),
        ("/api/v1/traffic/subscriptions", "post"),
        ("/api/v1/traffic/push/subscriptions", "post"),
    ]
    required = [
        ("/api/v1/traffic/probes", "post"),
        ("/api/v1/reports/{report_id}/actions", "post"),
    ]
    for path, method in optional:
        assert paths[path][method]["security"][0] == {}, path
    for path, method in required:
        assert {} not in paths[path][method]["security"], path
