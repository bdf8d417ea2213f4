"""Accounts test helpers: users made through the service, tokens through the API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from smartcity.accounts.service import accounts
from smartcity.core.db import Database
from smartcity.core.models import Role, User

PASSWORD = "dung-mat-khau-42"


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.vn"


@pytest.fixture
def make_user(database: Database) -> Callable[..., User]:
    def make(role: Role = Role.citizen, **fields: object) -> User:
        with database.session() as session:
            return accounts.create_user(
                session,
                email=str(fields.pop("email", unique_email(role.value))),
                full_name=str(fields.pop("full_name", "Lê Văn Cường")),
                password=PASSWORD,
                role=role,
                **fields,  # type: ignore[arg-type]
            )

    return make


@pytest.fixture
def bearer(client: TestClient) -> Callable[..., dict[str, str]]:
    """Authorization headers for an account, from POST /api/v1/auth/token."""

    def headers_for(email: str, password: str = PASSWORD) -> dict[str, str]:
        response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return headers_for


@pytest.fixture
def csrf_token(client: TestClient) -> Callable[[], str]:
    """The token this client's forms carry (the CSRF cookie is set on the first response)."""

    def token() -> str:
        response = client.get("/login")
        match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', response.text)
        assert match is not None, response.text
        return match.group(1)

    return token


@pytest.fixture
def password() -> str:
    """The password of every account made by ``make_user``."""
    return PASSWORD
