"""Public-services test helpers: citizens and officers, uploads, signed bank notifications."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

# The accounts fixtures, shared by import (pytest_plugins only works in the root conftest).
import accounts.conftest as accounts_fixtures
from smartcity.dossiers.payments import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_for

make_user = accounts_fixtures.make_user
bearer = accounts_fixtures.bearer

#: Phường Sài Gòn and Phường Bến Thành (old District 1), as competent units.
WARD = 26740
OTHER_WARD = 26743
CCCD = "079203001234"
PHONE = "0912345678"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def birth_form(**overrides: Any) -> dict[str, Any]:
    return {
        "child_name": "Nguyễn Minh An",
        "child_birth_date": "2026-11-20",
        "child_sex": "Nam",
        "birth_place": "Bệnh viện Từ Dũ",
        "mother_name": "Trần Thị Bình",
        "relationship": "Mẹ",
        "extract_copies": 1,
    } | overrides


def upload(
    client: TestClient,
    headers: dict[str, str],
    data: bytes = PDF_BYTES,
    name: str = "giay-chung-sinh.pdf",
) -> Any:
    return client.post(
        "/api/v1/attachments", headers=headers, files={"file": (name, data, "application/pdf")}
    )


@pytest.fixture
def citizen(make_user: Callable[..., Any], bearer: Callable[..., dict[str, str]]) -> dict[str, str]:
    user = make_user()
    return bearer(user.email)


@pytest.fixture
def officer(make_user: Callable[..., Any], bearer: Callable[..., dict[str, str]]) -> dict[str, str]:
    from smartcity.core.models import Role

    user = make_user(Role.officer, agency_code="UBNDP", ward_codes=[WARD])
    return bearer(user.email)


@pytest.fixture
def other_officer(
    make_user: Callable[..., Any], bearer: Callable[..., dict[str, str]]
) -> dict[str, str]:
    from smartcity.core.models import Role

    user = make_user(Role.officer, agency_code="UBNDP", ward_codes=[OTHER_WARD])
    return bearer(user.email)


@pytest.fixture
def file_birth(client: TestClient, citizen: dict[str, str]) -> Callable[..., dict[str, Any]]:
    def file(**overrides: Any) -> dict[str, Any]:
        sha = upload(client, citizen).json()["sha256"]
        body = {
            "procedure_code": "HCM.HT.01",
            "ward_code": WARD,
            "applicant_name": "Trần Thị Bình",
            "applicant_id_number": CCCD,
            "applicant_phone": PHONE,
            "form": birth_form(),
            "attachments": [sha],
        } | overrides
        response = client.post("/api/v1/dossiers", json=body, headers=citizen)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return file


def notify(
    client: TestClient,
    *,
    reference: str,
    amount: int,
    transaction_id: str | None = None,
    timestamp: int | None = None,
    secret: str | None = None,
) -> Any:
    body = json.dumps(
        {
            "transaction_id": transaction_id or f"FT{uuid.uuid4().hex[:12]}",
            "amount": amount,
            "reference": reference,
        }
    ).encode()
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return client.post(
        "/api/v1/payments/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature_for(stamp, body, secret),
        },
    )
