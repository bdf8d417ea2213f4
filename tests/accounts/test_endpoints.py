"""The accounts JSON API through the real app."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.core.db import Database
from smartcity.core.models import AuditEntry, Role, User

MakeUser = Callable[..., User]
Bearer = Callable[..., dict[str, str]]


def _email() -> str:
    return f"Cong.Dan.{uuid.uuid4().hex[:8]}@Example.VN"


class TestRegister:
    def test_register_then_login_by_form_and_json_then_me(self, client: TestClient) -> None:
        email = _email()
        response = client.post(
            "/api/v1/auth/register",
            json={
                "email": f"  {email} ",
                "full_name": " Phạm  Thị Dung ",
                "password": "mua-he-sai-gon",
            },
        )
        assert response.status_code == 201, response.text
        account = response.json()
        assert account["email"] == email.lower()
        assert account["full_name"] == "Phạm Thị Dung"
        assert account["role"] == "citizen"
        assert "password" not in str(account)

        form = client.post(
            "/api/v1/auth/token",
            data={
                "grant_type": "password",
                "username": email.upper(),
                "password": "mua-he-sai-gon",
            },
        )
        assert form.status_code == 200, form.text
        assert form.json()["token_type"] == "bearer"
        assert form.headers["cache-control"] == "no-store"

        as_json = client.post(
            "/api/v1/auth/token", json={"email": email, "password": "mua-he-sai-gon"}
        )
        assert as_json.status_code == 200
        assert as_json.json()["access_token"] != form.json()["access_token"]

        me = client.get(
            "/api/v1/auth/me",
            headers={"Authorization": f"Bearer {as_json.json()['access_token']}"},
        )
        assert me.status_code == 200
        assert me.json()["credential"] == "bearer"
        assert me.json()["account"]["id"] == account["id"]

    def test_register_cannot_choose_a_role(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/register",
            json={
                "email": _email(),
                "full_name": "Võ Văn E",
                "password": "mua-he-sai-gon",
                "role": "admin",
            },
        )
        assert response.status_code == 201
        assert response.json()["role"] == "citizen"

    def test_duplicate_email_is_409(self, client: TestClient) -> None:
        email = _email()
        body = {"email": email, "full_name": "Hồ Thị F", "password": "mua-he-sai-gon"}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201
        again = client.post("/api/v1/auth/register", json={**body, "email": email.lower()})
        assert again.status_code == 409
        assert again.json()["code"] == "email_taken"

    def test_rules_are_clear_422s(self, client: TestClient) -> None:
        email = _email()
        cases = {
            "short": ({"password": "ngan-qua"}, "password"),
            "same as email": ({"password": email}, "password"),
            "same as local part": ({"password": email.split("@")[0]}, "password"),
            "bad email": ({"email": "not-an-email"}, "email"),
            "blank name": ({"full_name": "   "}, "full_name"),
        }
        for label, (change, field) in cases.items():
            body = {"email": email, "full_name": "Đỗ Văn G", "password": "mua-he-sai-gon", **change}
            response = client.post("/api/v1/auth/register", json=body)
            assert response.status_code == 422, label
            assert response.json()["code"] == "account_invalid", label
            assert response.json()["field"] == field, label
        missing = client.post("/api/v1/auth/register", json={"email": email})
        assert missing.status_code == 422
        assert missing.json()["code"] == "validation_error"

    def test_rule_messages_are_translated(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/register",
            json={"email": _email(), "full_name": "Lý Văn H", "password": "short"},
            headers={"Accept-Language": "en"},
        )
        assert response.json()["detail"] == "The password must have at least 10 characters."


class TestToken:
    def test_wrong_password_is_401(self, client: TestClient, make_user: MakeUser) -> None:
        user = make_user()
        response = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": "sai-mat-khau-1"}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_credentials"
        assert response.headers["www-authenticate"] == "Bearer"

    def test_unknown_account_looks_like_a_wrong_password(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/token", json={"email": _email(), "password": "sai-mat-khau-1"}
        )
        assert response.status_code == 401
        assert response.json()["detail"] == "Email hoặc mật khẩu không đúng."

    def test_inactive_account_cannot_log_in(
        self, client: TestClient, database: Database, make_user: MakeUser, password: str
    ) -> None:
        user = make_user()
        with database.session() as session:
            row = session.get(User, user.id)
            assert row is not None
            row.is_active = False
        response = client.post(
            "/api/v1/auth/token", json={"email": user.email, "password": password}
        )
        assert response.status_code == 401

    def test_bad_bodies_are_4xx(self, client: TestClient) -> None:
        assert (
            client.post(
                "/api/v1/auth/token",
                content=b"{not json",
                headers={"content-type": "application/json"},
            ).json()["code"]
            == "malformed_json"
        )
        assert client.post("/api/v1/auth/token", json=["a", "b"]).status_code == 422
        assert client.post("/api/v1/auth/token", json={"email": "a@b.vn"}).status_code == 422
        assert (
            client.post(
                "/api/v1/auth/token", content=b"x", headers={"content-type": "text/plain"}
            ).json()["code"]
            == "unsupported_credentials_format"
        )
        assert (
            client.post(
                "/api/v1/auth/token",
                data={"grant_type": "client_credentials", "username": "a", "password": "b"},
            ).json()["code"]
            == "unsupported_grant_type"
        )

    def test_openapi_documents_both_body_types(self, client: TestClient) -> None:
        operation = client.get("/api/openapi.json").json()["paths"]["/api/v1/auth/token"]["post"]
        assert set(operation["requestBody"]["content"]) == {
            "application/x-www-form-urlencoded",
            "application/json",
        }


class TestLogout:
    def test_logout_revokes_the_bearer_token(
        self, client: TestClient, make_user: MakeUser, bearer: Bearer
    ) -> None:
        headers = bearer(make_user().email)
        assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
        response = client.get("/api/v1/auth/me", headers=headers)
        assert response.status_code == 401

    def test_api_key_cannot_log_out(
        self, client: TestClient, make_user: MakeUser, bearer: Bearer
    ) -> None:
        admin = bearer(make_user(Role.admin).email)
        key = client.post(
            "/api/v1/auth/api-keys",
            json={"name": "Trạm đo mưa", "scopes": ["flood:ingest"]},
            headers=admin,
        ).json()["key"]
        response = client.post("/api/v1/auth/logout", headers={"X-API-Key": key})
        assert response.status_code == 400
        assert response.json()["code"] == "api_key_cannot_log_out"


class TestApiKeys:
    def test_admin_creates_lists_and_revokes(
        self, client: TestClient, database: Database, make_user: MakeUser, bearer: Bearer
    ) -> None:
        admin_user = make_user(Role.admin)
        admin = bearer(admin_user.email)
        created = client.post(
            "/api/v1/auth/api-keys",
            json={
                "name": "Cổng cảm biến ngập Quận 7",
                "scopes": ["flood:ingest", "traffic:ingest"],
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        key = created.json()["key"]
        assert key.startswith(f"sc_{created.json()['prefix']}_")
        assert created.json()["scopes"] == ["flood:ingest", "traffic:ingest"]
        assert created.json()["owner_id"] == admin_user.id

        me = client.get("/api/v1/auth/me", headers={"X-API-Key": key})
        assert me.status_code == 200
        assert me.json()["credential"] == "api_key"
        assert me.json()["scopes"] == ["flood:ingest", "traffic:ingest"]
        assert me.json()["account"] is None

        listing = client.get("/api/v1/auth/api-keys", params={"limit": 200}, headers=admin)
        assert listing.status_code == 200
        assert key not in listing.text
        assert "secret" not in listing.text
        ids = [item["id"] for item in listing.json()["items"]]
        assert created.json()["id"] in ids

        key_id = created.json()["id"]
        assert client.delete(f"/api/v1/auth/api-keys/{key_id}", headers=admin).status_code == 204
        assert client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401
        # Revoking twice is harmless; an unknown key is a 404.
        assert client.delete(f"/api/v1/auth/api-keys/{key_id}", headers=admin).status_code == 204
        missing = client.delete("/api/v1/auth/api-keys/999999", headers=admin)
        assert missing.status_code == 404
        assert missing.json()["code"] == "api_key_not_found"

        with database.session() as session:
            actions = session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.entity_type == "api_key", AuditEntry.entity_id == str(key_id))
                .order_by(AuditEntry.seq)
            ).all()
        assert actions == ["auth.api_key_created", "auth.api_key_revoked"]

    def test_bad_scopes_are_422(
        self, client: TestClient, make_user: MakeUser, bearer: Bearer
    ) -> None:
        admin = bearer(make_user(Role.admin).email)
        for scopes in ([], ["flood"], ["Flood:Ingest"], ["flood:ingest extra"]):
            response = client.post(
                "/api/v1/auth/api-keys", json={"name": "Trạm", "scopes": scopes}, headers=admin
            )
            assert response.status_code == 422, scopes

    def test_only_admins_manage_keys(
        self, client: TestClient, make_user: MakeUser, bearer: Bearer
    ) -> None:
        officer = bearer(make_user(Role.officer, agency_code="SGTVT", ward_codes=[26737]).email)
        body = {"name": "Trạm", "scopes": ["flood:ingest"]}
        assert client.post("/api/v1/auth/api-keys", json=body, headers=officer).status_code == 403
        assert client.get("/api/v1/auth/api-keys", headers=officer).status_code == 403
        assert client.post("/api/v1/auth/api-keys", json=body).status_code == 401

    def test_an_api_key_cannot_make_keys(
        self, client: TestClient, make_user: MakeUser, bearer: Bearer
    ) -> None:
        admin = bearer(make_user(Role.admin).email)
        body = {"name": "Trạm", "scopes": ["flood:ingest"]}
        key = client.post("/api/v1/auth/api-keys", json=body, headers=admin).json()["key"]
        response = client.post("/api/v1/auth/api-keys", json=body, headers={"X-API-Key": key})
        assert response.status_code == 403
