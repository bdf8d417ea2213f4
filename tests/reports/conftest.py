"""Reports test helpers: users through the accounts service, tokens through the API,
a ward with boundaries (the real HCMC data)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from smartcity.accounts.service import accounts
from smartcity.core.db import Database
from smartcity.core.models import Role, User
from smartcity.places.service import places

PASSWORD = "dung-mat-khau-42"
#: Chợ Bến Thành and a point 40 m from it (both in Phường Bến Thành).
BEN_THANH = (106.69805, 10.77245)
NEAR_BEN_THANH = (106.69840, 10.77250)
#: Far from Bến Thành, in another ward (Thủ Đức area).
THU_DUC = (106.7700, 10.8500)


@pytest.fixture
def wards(data_dir: Path, database: Database) -> dict[str, int]:
    """Ward codes of the test points (needs the real ward boundaries)."""
    with database.session() as session:
        codes = {
            "ben_thanh": places.ward_code_at(session, *BEN_THANH),
            "thu_duc": places.ward_code_at(session, *THU_DUC),
        }
    if None in codes.values():
        pytest.skip("ward boundaries not loaded")
    assert codes["ben_thanh"] != codes["thu_duc"]
    return {k: int(v) for k, v in codes.items() if v is not None}


@pytest.fixture
def make_user(database: Database) -> Callable[..., User]:
    def make(role: Role = Role.citizen, **fields: object) -> User:
        with database.session() as session:
            return accounts.create_user(
                session,
                email=f"{role.value}-{uuid.uuid4().hex[:10]}@example.vn",
                full_name=str(fields.pop("full_name", "Nguyễn Thị Lan")),
                password=PASSWORD,
                role=role,
                **fields,  # type: ignore[arg-type]
            )

    return make


@pytest.fixture
def bearer(client: TestClient) -> Callable[[User], dict[str, str]]:
    def headers_for(user: User) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return headers_for


def jpeg_bytes(colour: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()
