"""`smartcity users ...` through typer's CliRunner, against the test database."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from smartcity.cli import app
from smartcity.core.db import Database
from smartcity.core.models import Role, User

runner = CliRunner()


def _email(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:8]}@example.vn"


def _user(database: Database, email: str) -> User | None:
    with database.session() as session:
        return session.scalars(select(User).where(User.email == email)).first()


class TestCreateAdmin:
    def test_with_password_option(self, database: Database, client: TestClient) -> None:
        email = _email("admin")
        result = runner.invoke(
            app, ["users", "create-admin", "--email", email, "--password", "quan-tri-vien-1"]
        )
        assert result.exit_code == 0, result.output
        user = _user(database, email)
        assert user is not None
        assert user.role is Role.admin
        assert user.password_hash.startswith("$argon2id$")
        token = client.post(
            "/api/v1/auth/token", json={"email": email, "password": "quan-tri-vien-1"}
        )
        assert token.status_code == 200

    def test_prompts_for_password_with_confirmation(self, database: Database) -> None:
        email = _email("admin")
        result = runner.invoke(
            app,
            ["users", "create-admin", "--email", email],
            input="quan-tri-vien-2\nquan-tri-vien-2\n",
        )
        assert result.exit_code == 0, result.output
        assert "quan-tri-vien-2" not in result.output
        assert _user(database, email) is not None

    def test_mismatched_confirmation_asks_again(self, database: Database) -> None:
        email = _email("admin")
        result = runner.invoke(
            app,
            ["users", "create-admin", "--email", email],
            input="quan-tri-vien-2\nkhac-nhau-roi\nquan-tri-vien-3\nquan-tri-vien-3\n",
        )
        assert result.exit_code == 0, result.output
        assert _user(database, email) is not None

    def test_rule_breaking_input_fails_cleanly(self, database: Database) -> None:
        email = _email("admin")
        result = runner.invoke(
            app, ["users", "create-admin", "--email", email, "--password", "short"]
        )
        assert result.exit_code == 1
        assert "10" in result.output
        assert _user(database, email) is None


class TestCreate:
    def test_officer_with_agency_and_wards(self, database: Database) -> None:
        email = _email("officer")
        result = runner.invoke(
            app,
            [
                "users", "create", "--email", email, "--full-name", "Ngô Văn L",
                "--role", "officer", "--agency", "UBND-TANDINH", "--wards", "26734,26737",
                "--password", "can-bo-phuong-1",
            ],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        user = _user(database, email)
        assert user is not None
        assert user.role is Role.officer
        assert user.agency_code == "UBND-TANDINH"
        assert user.ward_codes == [26734, 26737]

    def test_officer_without_wards_is_refused(self, database: Database) -> None:
        email = _email("officer")
        result = runner.invoke(
            app,
            [
                "users", "create", "--email", email, "--full-name", "Ngô Văn L",
                "--role", "officer", "--agency", "UBND", "--password", "can-bo-phuong-1",
            ],
        )  # fmt: skip
        assert result.exit_code == 1
        assert _user(database, email) is None

    def test_bad_ward_list_is_a_usage_error(self) -> None:
        result = runner.invoke(
            app,
            [
                "users", "create", "--email", _email("officer"), "--full-name", "N",
                "--role", "officer", "--agency", "UBND", "--wards", "26734,abc",
                "--password", "can-bo-phuong-1",
            ],
        )  # fmt: skip
        assert result.exit_code == 2


class TestApiKey:
    def test_prints_a_working_key_once(self, client: TestClient) -> None:
        result = runner.invoke(
            app,
            [
                "users",
                "api-key",
                "--name",
                "Cổng camera",
                "--scopes",
                "traffic:ingest,flood:ingest",
            ],
        )
        assert result.exit_code == 0, result.output
        key = result.output.strip().splitlines()[-1]
        assert key.startswith("sc_")
        me = client.get("/api/v1/auth/me", headers={"X-API-Key": key})
        assert me.status_code == 200
        assert me.json()["scopes"] == ["flood:ingest", "traffic:ingest"]

    def test_bad_scope_fails(self) -> None:
        result = runner.invoke(app, ["users", "api-key", "--name", "X", "--scopes", "everything"])
        assert result.exit_code == 1
