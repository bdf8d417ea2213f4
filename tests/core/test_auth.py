"""core.auth through the real app: passwords, tokens, API keys, CSRF, roles, throttling.

A small probe router (built with ``api_router`` like every module's) is mounted on a fresh
app so the dependencies are exercised exactly as a domain module would use them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Annotated

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from smartcity.accounts.schemas import ApiKeyCreate
from smartcity.accounts.service import accounts
from smartcity.config import get_settings
from smartcity.core import auth, clock
from smartcity.core.auth import CurrentPrincipal, OptionalPrincipal, Principal
from smartcity.core.db import Database
from smartcity.core.errors import Forbidden
from smartcity.core.http import SessionDep, api_router, keep_writes_on_error
from smartcity.core.models import (
    AuditEntry,
    AuthToken,
    IdempotencyRecord,
    LoginThrottle,
    Role,
    User,
)
from smartcity.main import create_app

PASSWORD = "dung-mat-khau-42"

TrafficIngest = Annotated[Principal, Depends(auth.require_scopes("traffic:ingest"))]
Officer = Annotated[Principal, Depends(auth.require_roles(Role.officer, Role.admin))]

probe = api_router(prefix="/api/v1/probe")


@probe.get("/whoami")
def whoami(principal: OptionalPrincipal) -> dict[str, str | None]:
    return {"actor": principal.actor if principal else None}


@probe.post("/ingest")
def ingest(principal: TrafficIngest) -> dict[str, str]:
    return {"actor": principal.actor}


@probe.post("/change")
def change(principal: CurrentPrincipal) -> dict[str, str]:
    return {"actor": principal.actor}


@probe.get("/wards/{code}")
def ward(principal: Officer, code: int) -> dict[str, bool]:
    return {"allowed": principal.can_act_on_ward(code)}


@probe.post("/keep-then-fail/{email}")
def keep_then_fail(session: SessionDep, email: str, unexpected: bool = False) -> None:
    session.add(LoginThrottle(email=email, client="probe", failures=1))
    session.flush()
    keep_writes_on_error(session)
    if unexpected:
        raise RuntimeError("a bug, not a refusal")
    raise Forbidden()


@pytest.fixture(scope="module")
def probe_app(database: Database) -> FastAPI:
    app = create_app(database=database)
    app.include_router(probe)
    return app


@pytest.fixture
def probe_client(probe_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(probe_app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def unique_email(label: str = "user") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.vn"


def make_user(database: Database, role: Role = Role.citizen, **fields: object) -> User:
    with database.session() as session:
        return accounts.create_user(
            session,
            email=str(fields.pop("email", unique_email(role.value))),
            full_name="Trần Thị Bình",
            password=PASSWORD,
            role=role,
            **fields,  # type: ignore[arg-type]
        )


def bearer_for(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def api_key(database: Database, *scopes: str) -> str:
    with database.session() as session:
        created = accounts.create_api_key(
            session, data=ApiKeyCreate(name="Cổng cảm biến", scopes=list(scopes)), creator=None
        )
    return created.key


class TestPasswords:
    def test_hash_is_argon2id_and_verifies(self) -> None:
        stored = auth.hash_password(PASSWORD)
        assert stored.startswith("$argon2id$")
        assert PASSWORD not in stored
        assert auth.verify_password(stored, PASSWORD)
        assert not auth.verify_password(stored, PASSWORD + "x")

    def test_missing_hash_never_verifies(self) -> None:
        assert not auth.verify_password(None, PASSWORD)
        assert not auth.verify_password("not-a-hash", PASSWORD)

    def test_stored_hash_is_argon2_not_the_password(self, database: Database) -> None:
        user = make_user(database)
        with database.session() as session:
            stored = session.get(User, user.id)
            assert stored is not None
            assert stored.password_hash.startswith("$argon2id$")
            assert PASSWORD not in stored.password_hash

    def test_weaker_hash_is_upgraded_at_login(self, database: Database, client: TestClient) -> None:
        user = make_user(database)
        weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
        with database.session() as session:
            row = session.get(User, user.id)
            assert row is not None
            row.password_hash = weak
        bearer_for(client, user.email)
        with database.session() as session:
            row = session.get(User, user.id)
            assert row is not None
            assert row.password_hash != weak
            assert not auth.password_needs_rehash(row.password_hash)
            assert auth.verify_password(row.password_hash, PASSWORD)


class TestTokens:
    def test_only_the_token_hash_is_stored(self, database: Database, client: TestClient) -> None:
        user = make_user(database)
        token = bearer_for(client, user.email)["Authorization"].removeprefix("Bearer ")
        with database.session() as session:
            stored = session.scalars(select(AuthToken).where(AuthToken.user_id == user.id)).all()
        assert [row.kind for row in stored] == ["bearer"]
        assert stored[0].token_hash != token
        assert len(stored[0].token_hash) == 64

    def test_bearer_token_identifies_the_user(
        self, database: Database, probe_client: TestClient
    ) -> None:
        user = make_user(database)
        headers = bearer_for(probe_client, user.email)
        response = probe_client.get("/api/v1/probe/whoami", headers=headers)
        assert response.json() == {"actor": f"user:{user.id}"}

    def test_unknown_bearer_token_is_401_with_challenge(self, probe_client: TestClient) -> None:
        response = probe_client.get(
            "/api/v1/probe/whoami", headers={"Authorization": "Bearer nonsense"}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'

    def test_no_credentials_is_401_with_bearer_challenge(self, probe_client: TestClient) -> None:
        response = probe_client.post("/api/v1/probe/change")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "Bearer"

    def test_expired_token_is_refused(
        self, database: Database, probe_client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        user = make_user(database)
        headers = bearer_for(probe_client, user.email)
        later = clock.utcnow() + timedelta(days=get_settings().session_days, seconds=1)
        monkeypatch.setattr(clock, "utcnow", lambda: later)
        response = probe_client.get("/api/v1/probe/whoami", headers=headers)
        assert response.status_code == 401


class TestApiKeys:
    def test_key_with_the_scope_is_accepted(
        self, database: Database, probe_client: TestClient
    ) -> None:
        key = api_key(database, "traffic:ingest", "flood:ingest")
        for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
            response = probe_client.post("/api/v1/probe/ingest", headers=headers)
            assert response.status_code == 200, response.text
            assert response.json()["actor"].startswith("api_key:")

    def test_key_without_the_scope_is_403(
        self, database: Database, probe_client: TestClient
    ) -> None:
        key = api_key(database, "flood:ingest")
        response = probe_client.post("/api/v1/probe/ingest", headers={"X-API-Key": key})
        assert response.status_code == 403
        assert response.json()["code"] == "insufficient_scope"
        assert "traffic:ingest" in response.json()["detail"]

    def test_revoked_key_is_401(self, database: Database, probe_client: TestClient) -> None:
        key = api_key(database, "traffic:ingest")
        prefix = key.split("_")[1]
        with database.session() as session:
            stored = auth.repository.live_api_key(session, prefix)
            assert stored is not None
            auth.revoke_api_key(session, stored, actor="test")
        response = probe_client.post("/api/v1/probe/ingest", headers={"X-API-Key": key})
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"

    def test_forged_secret_is_401(self, database: Database, probe_client: TestClient) -> None:
        key = api_key(database, "traffic:ingest")
        forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
        response = probe_client.post("/api/v1/probe/ingest", headers={"X-API-Key": forged})
        assert response.status_code == 401

    def test_key_use_is_recorded_on_writes(
        self, database: Database, probe_client: TestClient
    ) -> None:
        key = api_key(database, "traffic:ingest")
        probe_client.post("/api/v1/probe/ingest", headers={"X-API-Key": key})
        with database.session() as session:
            stored = auth.repository.live_api_key(session, key.split("_")[1])
            assert stored is not None
            assert stored.last_used_at is not None

    def test_user_without_admin_role_has_no_scopes(
        self, database: Database, probe_client: TestClient
    ) -> None:
        officer = make_user(database, Role.officer, agency_code="SGTVT", ward_codes=[26737])
        response = probe_client.post(
            "/api/v1/probe/ingest", headers=bearer_for(probe_client, officer.email)
        )
        assert response.status_code == 403


class TestRolesAndWards:
    def test_officer_acts_only_on_their_wards(
        self, database: Database, probe_client: TestClient
    ) -> None:
        officer = make_user(
            database, Role.officer, agency_code="UBND-TD", ward_codes=[26734, 26737]
        )
        headers = bearer_for(probe_client, officer.email)
        assert probe_client.get("/api/v1/probe/wards/26737", headers=headers).json() == {
            "allowed": True
        }
        assert probe_client.get("/api/v1/probe/wards/26740", headers=headers).json() == {
            "allowed": False
        }

    def test_admin_acts_everywhere(self, database: Database, probe_client: TestClient) -> None:
        admin = make_user(database, Role.admin)
        headers = bearer_for(probe_client, admin.email)
        response = probe_client.get("/api/v1/probe/wards/26740", headers=headers)
        assert response.json() == {"allowed": True}

    def test_citizen_is_403_on_officer_routes(
        self, database: Database, probe_client: TestClient
    ) -> None:
        citizen = make_user(database)
        response = probe_client.get(
            "/api/v1/probe/wards/26737", headers=bearer_for(probe_client, citizen.email)
        )
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"

    def test_scoping_helpers(self) -> None:
        officer = User(
            email="o@example.vn",
            full_name="O",
            password_hash="-",
            role=Role.officer,
            agency_code="SGTVT",
            ward_codes=[26737],
        )
        clinician = User(
            email="c@example.vn",
            full_name="C",
            password_hash="-",
            role=Role.clinician,
            hospital_code="BV-CHORAY",
        )
        admin = User(email="a@example.vn", full_name="A", password_hash="-", role=Role.admin)
        as_officer = Principal(credential=auth.CredentialKind.bearer, user=officer)
        as_clinician = Principal(credential=auth.CredentialKind.bearer, user=clinician)
        as_admin = Principal(credential=auth.CredentialKind.bearer, user=admin)
        assert as_officer.can_act_on_ward("26737")
        assert not as_officer.can_act_on_ward("not-a-code")
        assert as_officer.can_act_for_agency("SGTVT")
        assert not as_officer.can_act_for_agency("SYT")
        assert not as_clinician.can_act_on_ward(26737)
        assert as_clinician.can_open_hospital_records("BV-CHORAY")
        assert not as_clinician.can_open_hospital_records("BV-115")
        # Administrators run the platform; they do not read patients' records.
        assert not as_admin.can_open_hospital_records("BV-CHORAY")
        assert as_admin.can_act_on_ward(1)
        assert as_admin.has_scopes("traffic:ingest")


def _csrf_from_login_page(client: TestClient) -> str:
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert match is not None
    return match.group(1)


class TestCookieSessionsNeedCsrf:
    def _sign_in(self, client: TestClient, email: str) -> None:
        token = _csrf_from_login_page(client)
        response = client.post(
            "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert "session" in client.cookies

    def test_unsafe_request_without_token_is_refused(
        self, database: Database, probe_client: TestClient
    ) -> None:
        user = make_user(database)
        self._sign_in(probe_client, user.email)
        response = probe_client.post("/api/v1/probe/change")
        assert response.status_code == 403
        assert response.json()["code"] == "csrf_failed"

    def test_unsafe_request_with_token_is_accepted(
        self, database: Database, probe_client: TestClient
    ) -> None:
        user = make_user(database)
        self._sign_in(probe_client, user.email)
        token = _csrf_from_login_page(probe_client)  # the CSRF secret is renewed at sign-in
        response = probe_client.post("/api/v1/probe/change", headers={"X-CSRF-Token": token})
        assert response.status_code == 200
        assert response.json() == {"actor": f"user:{user.id}"}

    def test_safe_request_needs_no_token(
        self, database: Database, probe_client: TestClient
    ) -> None:
        user = make_user(database)
        self._sign_in(probe_client, user.email)
        response = probe_client.get("/api/v1/probe/whoami")
        assert response.json() == {"actor": f"user:{user.id}"}

    def test_bearer_token_needs_no_csrf(self, database: Database, probe_client: TestClient) -> None:
        user = make_user(database)
        response = probe_client.post(
            "/api/v1/probe/change", headers=bearer_for(probe_client, user.email)
        )
        assert response.status_code == 200

    def test_stale_cookie_means_signed_out(self, probe_client: TestClient) -> None:
        probe_client.cookies.set("session", "expired-or-made-up")
        assert probe_client.get("/api/v1/probe/whoami").json() == {"actor": None}
        assert probe_client.post("/api/v1/probe/change").status_code == 401


class TestLoginThrottle:
    def _attempt(self, client: TestClient, email: str, password: str) -> tuple[int, dict[str, str]]:
        response = client.post("/api/v1/auth/token", data={"username": email, "password": password})
        return response.status_code, dict(response.headers)

    def test_lock_then_the_real_user_gets_back_in(
        self, database: Database, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings = get_settings()
        user = make_user(database)
        statuses = [
            self._attempt(client, user.email, "wrong-password")[0]
            for _ in range(settings.login_max_failures)
        ]
        assert statuses == [401] * (settings.login_max_failures - 1) + [429]

        status, headers = self._attempt(client, user.email, PASSWORD)
        assert status == 429
        assert 0 < int(headers["retry-after"]) <= settings.login_lockout_seconds

        shift = timedelta(seconds=settings.login_lockout_seconds + 1)
        real_now = clock.utcnow
        monkeypatch.setattr(clock, "utcnow", lambda: real_now() + shift)
        status, _ = self._attempt(client, user.email, PASSWORD)
        assert status == 200
        with database.session() as session:
            left = session.scalars(
                select(LoginThrottle).where(LoginThrottle.email == user.email)
            ).all()
        assert left == []

    def test_lock_doubles_with_each_further_failure(
        self, database: Database, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings = get_settings()
        user = make_user(database)
        for _ in range(settings.login_max_failures):
            self._attempt(client, user.email, "wrong-password")
        shift = timedelta(seconds=settings.login_lockout_seconds + 1)
        real_now = clock.utcnow
        monkeypatch.setattr(clock, "utcnow", lambda: real_now() + shift)
        status, headers = self._attempt(client, user.email, "still-wrong")
        assert status == 429
        expected = min(settings.login_lockout_seconds * 2, settings.login_lockout_max_seconds)
        assert expected - 1 <= int(headers["retry-after"]) <= expected

    def test_unknown_account_is_throttled_like_a_real_one(self, client: TestClient) -> None:
        email = unique_email("ghost")
        first = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert first.status_code == 401
        assert first.json()["code"] == "invalid_credentials"
        for _ in range(get_settings().login_max_failures - 1):
            last = client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        assert last.status_code == 429
        assert last.json()["code"] == "login_locked"

    def test_throttle_is_per_client_address(self, database: Database, probe_app: FastAPI) -> None:
        user = make_user(database)
        with TestClient(
            probe_app, base_url="http://127.0.0.1", client=("10.0.0.1", 5000)
        ) as attacker:
            for _ in range(get_settings().login_max_failures):
                attacker.post(
                    "/api/v1/auth/token", json={"email": user.email, "password": "nope-nope"}
                )
            assert (
                attacker.post(
                    "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
                ).status_code
                == 429
            )
        with TestClient(probe_app, base_url="http://127.0.0.1", client=("10.0.0.2", 5000)) as owner:
            response = owner.post(
                "/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
            )
            assert response.status_code == 200

    def test_parallel_failures_are_counted_exactly(self, live_server: str) -> None:
        """Concurrent attempts on one account: each is counted once, none ends in a 500
        (SQLite writers queue for the lock in the thread pool, not on the event loop)."""
        email = unique_email("race")
        attempts = 3 * get_settings().login_max_failures

        def attempt(_: int) -> int:
            return httpx.post(
                f"{live_server}/api/v1/auth/token",
                json={"email": email, "password": "wrong-password"},
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = sorted(pool.map(attempt, range(attempts)))
        allowed = get_settings().login_max_failures - 1
        assert statuses == [401] * allowed + [429] * (attempts - allowed)

    def test_success_and_failure_are_audited(self, database: Database, client: TestClient) -> None:
        user = make_user(database)
        self._attempt(client, user.email, "wrong-password")
        self._attempt(client, user.email, PASSWORD)
        with database.session() as session:
            entries = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_type == "user", AuditEntry.entity_id == str(user.id))
                .order_by(AuditEntry.seq)
            ).all()
        actions = [entry.action for entry in entries]
        assert actions == ["accounts.user_created", "auth.login_failed", "auth.login"]
        assert entries[1].data["reason"] == "password"
        assert "wrong-password" not in str(entries[1].data)


class TestTransactionsAroundCredentials:
    def _throttles(self, database: Database, email: str) -> int:
        with database.session() as session:
            rows = session.scalars(select(LoginThrottle).where(LoginThrottle.email == email))
            return len(rows.all())

    def test_kept_writes_survive_an_expected_refusal(
        self, database: Database, probe_client: TestClient
    ) -> None:
        email = unique_email("kept")
        assert probe_client.post(f"/api/v1/probe/keep-then-fail/{email}").status_code == 403
        assert self._throttles(database, email) == 1

    def test_unexpected_errors_still_roll_back(
        self, database: Database, probe_app: FastAPI
    ) -> None:
        email = unique_email("bug")
        with TestClient(probe_app, raise_server_exceptions=False) as bare:
            response = bare.post(f"/api/v1/probe/keep-then-fail/{email}?unexpected=true")
        assert response.status_code == 500
        assert self._throttles(database, email) == 0

    def test_tokens_and_keys_are_never_kept_for_idempotent_replay(
        self, database: Database, client: TestClient
    ) -> None:
        admin = make_user(database, Role.admin)
        body = {"email": admin.email, "password": PASSWORD}
        first = client.post("/api/v1/auth/token", json=body, headers={"Idempotency-Key": "k-1"})
        again = client.post("/api/v1/auth/token", json=body, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == again.status_code == 200
        assert first.json()["access_token"] != again.json()["access_token"]
        headers = {
            "Authorization": f"Bearer {first.json()['access_token']}",
            "Idempotency-Key": "k-2",
        }
        created = client.post(
            "/api/v1/auth/api-keys",
            json={"name": "Trạm", "scopes": ["flood:ingest"]},
            headers=headers,
        )
        assert created.status_code == 201
        with database.session() as session:
            bodies = [bytes(b) for b in session.scalars(select(IdempotencyRecord.body)).all()]
        secrets = [
            first.json()["access_token"],
            again.json()["access_token"],
            created.json()["key"],
        ]
        assert not any(secret.encode() in body for secret in secrets for body in bodies)
