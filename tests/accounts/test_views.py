"""Sign-in, registration and sign-out pages: cookies, CSRF, safe redirects."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from smartcity.accounts.views import safe_next
from smartcity.config import get_settings
from smartcity.core.models import User

MakeUser = Callable[..., User]
Token = Callable[[], str]


class TestSafeNext:
    @pytest.mark.parametrize(
        "target",
        ["/", "/flood/map", "/reports?ward=26737&page=2", "/traffic#map"],
    )
    def test_same_site_paths_are_kept(self, target: str) -> None:
        assert safe_next(target) == target

    @pytest.mark.parametrize(
        "target",
        [
            None,
            "",
            "https://evil.example/",
            "//evil.example/path",
            "/\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/" + "a" * 3000,
        ],
    )
    def test_anything_else_goes_home(self, target: str | None) -> None:
        assert safe_next(target) == "/"


class TestLoginPage:
    def test_page_is_vietnamese_first_with_labelled_fields(self, client: TestClient) -> None:
        response = client.get("/login?next=/flood")
        assert response.status_code == 200
        assert response.headers["content-language"] == "vi"
        assert '<label for="login-email">' in response.text
        assert 'name="next" value="/flood"' in response.text
        # CSP allows scripts from files only: no inline script bodies.
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text)

    def test_page_in_english_when_asked(self, client: TestClient) -> None:
        response = client.get("/login", headers={"Accept-Language": "en"})
        assert '<h1 id="login-heading">Log in</h1>' in response.text

    def test_login_sets_session_cookie_and_redirects_to_next(
        self, client: TestClient, make_user: MakeUser, password: str, csrf_token: Token
    ) -> None:
        user = make_user()
        response = client.post(
            "/login",
            data={
                "email": user.email,
                "password": password,
                "next": "/reports?ward=26737",
                "csrf_token": csrf_token(),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/reports?ward=26737"
        cookie = next(
            h for h in response.headers.get_list("set-cookie") if h.startswith("session=")
        )
        assert "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        me = client.get("/api/v1/auth/me")
        assert me.json()["credential"] == "cookie"
        assert me.json()["account"]["id"] == user.id
        signed_in = client.get("/login")
        assert user.email in signed_in.text

    def test_open_redirect_is_refused(
        self, client: TestClient, make_user: MakeUser, password: str, csrf_token: Token
    ) -> None:
        user = make_user()
        response = client.post(
            "/login",
            data={
                "email": user.email,
                "password": password,
                "next": "https://evil.example/phish",
                "csrf_token": csrf_token(),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/"

    def test_wrong_password_shows_the_form_again(
        self, client: TestClient, make_user: MakeUser, csrf_token: Token
    ) -> None:
        user = make_user()
        response = client.post(
            "/login",
            data={"email": user.email, "password": "sai-mat-khau-9", "csrf_token": csrf_token()},
            follow_redirects=False,
        )
        assert response.status_code == 401
        assert "Email hoặc mật khẩu không đúng." in response.text
        assert f'value="{user.email}"' in response.text
        assert "session" not in client.cookies

    def test_locked_login_page_says_when_to_retry(
        self, client: TestClient, make_user: MakeUser, password: str, csrf_token: Token
    ) -> None:
        user = make_user()
        token = csrf_token()
        for _ in range(get_settings().login_max_failures):
            client.post(
                "/login",
                data={"email": user.email, "password": "sai-mat-khau-9", "csrf_token": token},
            )
        response = client.post(
            "/login", data={"email": user.email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 429
        assert "retry-after" in response.headers
        assert "Hãy thử lại sau" in response.text

    def test_login_form_without_csrf_token_is_refused(
        self, client: TestClient, make_user: MakeUser, password: str
    ) -> None:
        client.get("/login")
        user = make_user()
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 403
        assert response.json()["code"] == "csrf_failed"


class TestRegisterPage:
    def test_register_signs_in_and_redirects(self, client: TestClient, csrf_token: Token) -> None:
        email = f"moi-{uuid.uuid4().hex[:8]}@example.vn"
        response = client.post(
            "/register",
            data={
                "email": email,
                "full_name": "Trương Văn K",
                "password": "nha-be-mua-lu",
                "password_confirm": "nha-be-mua-lu",
                "next": "/reports/new",
                "csrf_token": csrf_token(),
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/reports/new"
        assert client.get("/api/v1/auth/me").json()["account"]["email"] == email

    def test_mistakes_are_shown_on_the_form(self, client: TestClient, csrf_token: Token) -> None:
        token = csrf_token()
        base = {
            "email": f"moi-{uuid.uuid4().hex[:8]}@example.vn",
            "full_name": "Trương Văn K",
            "password": "nha-be-mua-lu",
            "password_confirm": "nha-be-mua-lu",
            "csrf_token": token,
        }
        mismatch = client.post("/register", data={**base, "password_confirm": "khac-hoan-toan"})
        assert mismatch.status_code == 422
        assert "Hai lần nhập mật khẩu không khớp." in mismatch.text
        short = client.post(
            "/register", data={**base, "password": "ngan", "password_confirm": "ngan"}
        )
        assert short.status_code == 422
        assert "ít nhất 10 ký tự" in short.text
        assert 'value="Trương Văn K"' in short.text
        assert "session" not in client.cookies


class TestLogout:
    def test_logout_revokes_the_session(
        self, client: TestClient, make_user: MakeUser, password: str, csrf_token: Token
    ) -> None:
        user = make_user()
        client.post(
            "/login",
            data={"email": user.email, "password": password, "csrf_token": csrf_token()},
        )
        old_session = client.cookies["session"]
        response = client.post("/logout", data={"csrf_token": csrf_token()}, follow_redirects=False)
        assert response.status_code == 303
        assert "session" not in client.cookies
        client.cookies.set("session", old_session)
        assert client.get("/api/v1/auth/me").status_code == 401

    def test_logout_needs_the_csrf_token(
        self, client: TestClient, make_user: MakeUser, password: str, csrf_token: Token
    ) -> None:
        user = make_user()
        client.post(
            "/login",
            data={"email": user.email, "password": password, "csrf_token": csrf_token()},
        )
        response = client.post("/logout", follow_redirects=False)
        assert response.status_code == 403
        assert client.get("/api/v1/auth/me").status_code == 200

    def test_api_logout_with_cookie_needs_csrf_header(
        self, client: TestClient, make_user: MakeUser, password: str, csrf_token: Token
    ) -> None:
        user = make_user()
        client.post(
            "/login",
            data={"email": user.email, "password": password, "csrf_token": csrf_token()},
        )
        refused = client.post("/api/v1/auth/logout")
        assert refused.status_code == 403
        assert refused.json()["code"] == "csrf_failed"
        accepted = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf_token()})
        assert accepted.status_code == 204
        assert client.get("/api/v1/auth/me").status_code == 401
