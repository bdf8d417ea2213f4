"""The web shell through the real app: pages, language switch, PWA files, static files, errors."""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from fastapi import Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from PIL import Image
from starlette.types import ASGIApp, Receive, Scope, Send

from smartcity import api
from smartcity.core.db import Database
from smartcity.core.errors import NotFound
from smartcity.core.http import api_router
from smartcity.main import create_app
from smartcity.web.errors import render_error_page
from smartcity.web.navigation import SECTIONS, placeholder_sections
from smartcity.web.static import STATIC_DIR, static_url
from smartcity.web.views import SHELL_ASSETS, safe_next

BROWSER = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
MODULE_PATHS = [
    "/",
    "/traffic",
    "/routes",
    "/flood",
    "/reports",
    "/services",
    "/health",
    "/data",
    "/dashboard",
    "/api/docs",
]


class ScriptAudit(HTMLParser):
    """Collects what the CSP would block: inline script bodies and on* event attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts: list[str] = []
        self.script_sources: list[str] = []
        self.handlers: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.handlers += [f"{tag}[{name}]" for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self._in_script = True
            if attributes.get("src"):
                self.script_sources.append(attributes["src"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data.strip()[:80])


def audit(html: str) -> ScriptAudit:
    parser = ScriptAudit()
    parser.feed(html)
    return parser


def html_lang(html: str) -> str | None:
    match = re.search(r'<html lang="([a-z]+)"', html)
    return match.group(1) if match else None


class TestHome:
    def test_vietnamese_by_default(self, client: TestClient) -> None:
        response = client.get("/", headers=BROWSER)
        assert response.status_code == 200
        assert html_lang(response.text) == "vi"
        assert response.headers["content-language"] == "vi"
        assert "Thành phố thông minh TP.HCM" in response.text
        assert "Giao thông" in response.text
        assert "Bỏ qua, đến nội dung chính" in response.text

    def test_english_from_the_cookie(self, client: TestClient) -> None:
        client.cookies.set("lang", "en")
        response = client.get("/", headers=BROWSER)
        assert html_lang(response.text) == "en"
        assert "HCMC Smart City" in response.text
        assert "Traffic" in response.text
        assert "Giao thông" not in response.text

    def test_english_from_accept_language(self, client: TestClient) -> None:
        response = client.get("/", headers={**BROWSER, "accept-language": "en-GB,en;q=0.9"})
        assert html_lang(response.text) == "en"
        assert "Skip to main content" in response.text

    def test_navigation_reaches_every_module(self, client: TestClient) -> None:
        text = client.get("/", headers=BROWSER).text
        for path in MODULE_PATHS:
            assert f'href="{path}"' in text, path
        assert [s.path for s in SECTIONS] == MODULE_PATHS
        assert '<a href="/" aria-current="page">Bản đồ</a>' in text

    def test_map_is_configured_by_data_attributes(self, client: TestClient) -> None:
        text = client.get("/", headers=BROWSER).text
        assert 'id="ward-map"' in text
        assert 'data-wards-url="/api/v1/places/wards.geojson?simplify=50"' in text
        assert 'data-tile-url=""' in text  # no external tile server unless configured
        assert "OpenStreetMap contributors" in text
        assert static_url("vendor/leaflet/leaflet.js") in text
        assert static_url("js/home-map.js") in text

    def test_anonymous_visitor_gets_a_login_link_back_to_the_page(self, client: TestClient) -> None:
        text = client.get("/flood?tab=map", headers=BROWSER).text
        assert 'href="/login?next=/flood%3Ftab%3Dmap"' in text
        assert 'action="/logout"' not in text


class TestSignedInLayout:
    @pytest.fixture
    def signed_in(self, database: Database) -> Iterator[TestClient]:
        """The app with a stand-in for the accounts module's middleware (request.state.user)."""
        app = create_app(database=database)
        user = SimpleNamespace(full_name="Nguyễn Thị Minh Khai", email="khai@example.vn")

        def with_user(inner: ASGIApp) -> ASGIApp:
            async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
                scope.setdefault("state", {})["user"] = user
                await inner(scope, receive, send)

            return middleware

        app.add_middleware(with_user)  # type: ignore[arg-type]
        with TestClient(app, base_url="http://127.0.0.1") as test_client:
            yield test_client

    def test_shows_the_name_and_a_logout_form_with_csrf(self, signed_in: TestClient) -> None:
        text = signed_in.get("/", headers=BROWSER).text
        assert "Nguyễn Thị Minh Khai" in text
        form = re.search(r'<form method="post" action="/logout".*?</form>', text, re.S)
        assert form is not None
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', form.group(0))
        meta = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})"', text)
        assert token is not None
        assert meta is not None
        assert token.group(1) == meta.group(1)
        assert "/login?next=" not in text


class TestLanguageSwitch:
    def test_sets_the_cookie_and_goes_back(self, client: TestClient) -> None:
        response = client.get("/lang?to=en&next=/flood%3Ftab%3Dmap", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/flood?tab=map"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("lang=en;")
        assert "SameSite=lax" in cookie
        assert "Path=/" in cookie

    def test_post_works_too_and_next_defaults_home(self, client: TestClient) -> None:
        response = client.post("/lang?to=vi", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/"
        assert response.headers["set-cookie"].startswith("lang=vi;")

    def test_following_the_switch_changes_the_page_language(self, client: TestClient) -> None:
        response = client.get("/lang?to=en&next=/traffic", headers=BROWSER)
        assert response.status_code == 200
        assert html_lang(response.text) == "en"
        assert "Ho Chi Minh City traffic" in response.text
        assert ">Alerts <" in response.text

    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example/",
            "//evil.example/path",
            "/\\evil.example",
            "javascript:alert(1)",
            "evil.example",
            "http:/evil.example",
            "/ok\r\nSet-Cookie: x=1",
        ],
    )
    def test_refuses_off_site_next(self, client: TestClient, target: str) -> None:
        response = client.get("/lang", params={"to": "en", "next": target}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/"

    def test_unknown_language_is_refused(self, client: TestClient) -> None:
        response = client.get("/lang?to=fr&next=/", follow_redirects=False)
        assert response.status_code == 422
        assert "set-cookie" not in response.headers or "lang=" not in response.headers["set-cookie"]

    def test_safe_next_keeps_local_paths(self) -> None:
        assert safe_next("/reports/12?page=2#photo") == "/reports/12?page=2#photo"
        assert safe_next(None) == "/"
        assert safe_next("") == "/"


class TestComingSoonPages:
    @pytest.mark.parametrize("section", placeholder_sections(), ids=lambda s: s.path)
    def test_each_module_without_its_page_says_it_is_coming(
        self, client: TestClient, section: object
    ) -> None:
        path = section.path  # type: ignore[attr-defined]
        response = client.get(path, headers=BROWSER)
        assert response.status_code == 200
        assert "Sắp ra mắt" in response.text
        assert f'<a href="{path}" aria-current="page">' in response.text

    def test_in_english(self, client: TestClient) -> None:
        client.cookies.set("lang", "en")
        text = client.get("/health", headers=BROWSER).text
        assert "<h1>Health</h1>" in text
        assert "Coming soon" in text

    def test_a_module_page_replaces_its_placeholder(
        self, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        health = api_router(include_in_schema=False)

        @health.get("/health", response_class=PlainTextResponse)
        def health_home() -> str:
            return "the health module's own page"

        shell_routers = api.routers()
        monkeypatch.setattr(api, "routers", lambda: [*shell_routers, health])
        with TestClient(create_app(database=database), base_url="http://127.0.0.1") as client:
            assert client.get("/health").text == "the health module's own page"
            assert "Sắp ra mắt" in client.get("/dashboard", headers=BROWSER).text


class TestPwa:
    def test_manifest(self, client: TestClient) -> None:
        response = client.get("/manifest.webmanifest")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/manifest+json")
        manifest = json.loads(response.text)
        assert manifest["start_url"] == "/"
        assert manifest["display"] == "standalone"
        assert manifest["lang"] == "vi"
        assert manifest["name"] == "Thành phố thông minh TP.HCM"
        assert manifest["short_name"]
        assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
        sizes = {icon["sizes"] for icon in manifest["icons"]}
        assert {"192x192", "512x512"} <= sizes
        for icon in manifest["icons"]:
            image_response = client.get(icon["src"])
            assert image_response.status_code == 200
            image = Image.open(io.BytesIO(image_response.content))
            assert f"{image.width}x{image.height}" == icon["sizes"]

    def test_page_links_the_manifest_and_icons(self, client: TestClient) -> None:
        text = client.get("/", headers=BROWSER).text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in text
        assert client.get("/favicon.ico").headers["content-type"] == "image/x-icon"

    def test_service_worker_is_served_from_the_root(self, client: TestClient) -> None:
        response = client.get("/sw.js")
        assert response.status_code == 200
        assert response.headers["service-worker-allowed"] == "/"
        assert response.headers["content-type"].startswith("application/javascript")
        assert response.headers["cache-control"] == "no-cache"
        assert "__SHELL_URLS__" not in response.text
        assert "__VERSION__" not in response.text

    def test_service_worker_precaches_a_shell_that_exists(self, client: TestClient) -> None:
        source = client.get("/sw.js").text
        match = re.search(r"var SHELL_URLS = (\[.*?\]);", source)
        assert match is not None
        urls = json.loads(match.group(1))
        assert "/" in urls
        assert "/offline" in urls
        for asset in SHELL_ASSETS:
            assert static_url(asset) in urls
        for url in urls:
            assert client.get(url, headers=BROWSER).status_code == 200, url
        assert not any(url.startswith("/api/") for url in urls)
        assert '"/api/"' in source  # and the fetch handler leaves the API alone

    def test_offline_page(self, client: TestClient) -> None:
        response = client.get("/offline", headers=BROWSER)
        assert response.status_code == 200
        assert "Không có kết nối mạng" in response.text


class TestStaticFiles:
    @pytest.mark.parametrize(
        ("path", "content_type"),
        [
            ("vendor/leaflet/leaflet.js", "javascript"),
            ("vendor/leaflet/leaflet.css", "text/css"),
            ("vendor/leaflet/images/layers.png", "image/png"),
            ("vendor/htmx/htmx.min.js", "javascript"),
            ("vendor/swagger-ui/swagger-ui-bundle.js", "javascript"),
            ("vendor/swagger-ui/swagger-ui.css", "text/css"),
        ],
    )
    def test_vendor_files_are_served_with_cache_headers(
        self, client: TestClient, path: str, content_type: str
    ) -> None:
        response = client.get(f"/static/{path}")
        assert response.status_code == 200
        assert content_type in response.headers["content-type"]
        assert response.headers["cache-control"] == "public, max-age=86400"

    def test_versioned_urls_are_immutable(self, client: TestClient) -> None:
        response = client.get(static_url("css/app.css"))
        assert response.status_code == 200
        assert "immutable" in response.headers["cache-control"]
        assert client.get("/static/css/app.css").headers["cache-control"] == "no-cache"

    def test_versions_pinned_and_licences_shipped(self) -> None:
        vendor = STATIC_DIR / "vendor"
        assert "Leaflet 1.9.4" in (vendor / "leaflet" / "leaflet.js").read_text()[:200]
        assert 'version:"2.' in (vendor / "htmx" / "htmx.min.js").read_text()
        licences = {"leaflet": "BSD 2-Clause", "htmx": "Zero-Clause BSD", "swagger-ui": "Apache"}
        for library, licence in licences.items():
            assert licence in (vendor / library / "LICENSE").read_text(), library

    def test_missing_static_file_is_404(self, client: TestClient) -> None:
        assert client.get("/static/vendor/nothing.js").status_code == 404


class TestErrorPages:
    def test_browser_gets_a_friendly_404_page(self, client: TestClient) -> None:
        response = client.get("/no-such-page", headers=BROWSER)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert html_lang(response.text) == "vi"
        assert "Không tìm thấy" in response.text
        assert 'href="/"' in response.text
        assert "not_found" in response.text

    def test_in_english(self, client: TestClient) -> None:
        response = client.get("/no-such-page", headers={**BROWSER, "accept-language": "en"})
        assert response.status_code == 404
        assert "Not found" in response.text
        assert "Check the page address" in response.text

    def test_api_paths_keep_problem_json(self, client: TestClient) -> None:
        response = client.get("/api/v1/no-such-thing", headers=BROWSER)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"

    def test_machines_get_problem_json_everywhere(self, client: TestClient) -> None:
        response = client.get("/no-such-page", headers={"accept": "application/json"})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    def test_method_not_allowed_keeps_allow_header(self, client: TestClient) -> None:
        response = client.delete("/", headers=BROWSER)
        assert response.status_code == 405
        assert response.headers["content-type"].startswith("text/html")
        assert "GET" in response.headers.get("allow", "")

    def test_htmx_request_gets_a_toast(self, client: TestClient) -> None:
        response = client.get("/no-such-page", headers={**BROWSER, "hx-request": "true"})
        assert response.status_code == 404
        assert response.headers["hx-retarget"] == "#toasts"
        assert response.headers["hx-reswap"] == "beforeend"
        assert 'class="toast toast-error" role="alert"' in response.text
        assert "<html" not in response.text

    def test_unexpected_failure_gets_a_500_page_without_details(
        self, database: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        broken = api_router(include_in_schema=False)

        @broken.get("/broken")
        def explode() -> None:
            raise RuntimeError("secret internals")

        shell_routers = api.routers()
        monkeypatch.setattr(api, "routers", lambda: [*shell_routers, broken])
        app = create_app(database=database)
        with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
            response = client.get("/broken", headers=BROWSER)
        assert response.status_code == 500
        assert "Lỗi hệ thống" in response.text
        assert "Thử lại sau ít phút" in response.text
        assert "secret internals" not in response.text

    def test_falls_back_to_a_bare_page_when_the_layout_cannot_render(self) -> None:
        request = Request({"type": "http", "method": "GET", "path": "/x", "headers": []})
        response = render_error_page(request, NotFound())  # no CSRF middleware: no layout
        assert response.status_code == 404
        assert "<h1>Không tìm thấy</h1>".encode() in response.body


class TestContentSecurity:
    @pytest.mark.parametrize(
        "path", ["/", "/traffic", "/offline", "/api/docs", "/no-such-page", "/lang?to=xx"]
    )
    def test_no_inline_scripts_or_handlers(self, client: TestClient, path: str) -> None:
        response = client.get(path, headers=BROWSER)
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        found = audit(response.text)
        assert found.inline_scripts == []
        assert found.handlers == []
        assert found.script_sources, "the shell loads its scripts from /static"
        assert all(src.startswith("/static/") for src in found.script_sources)


class TestApiDocs:
    def test_uses_the_vendored_swagger_ui(self, client: TestClient) -> None:
        response = client.get("/api/docs", headers=BROWSER)
        assert response.status_code == 200
        sources = audit(response.text).script_sources
        assert static_url("vendor/swagger-ui/swagger-ui-bundle.js") in sources
        assert static_url("js/api-docs.js") in sources
        assert static_url("vendor/swagger-ui/swagger-ui.css") in response.text
        assert 'data-openapi-url="/api/openapi.json"' in response.text
        assert "cdn" not in response.text.lower()

    def test_openapi_document_is_still_served(self, client: TestClient) -> None:
        document = client.get("/api/openapi.json").json()
        assert document["info"]["title"] == "HCMC Smart City Platform"
        assert "/" not in document["paths"]  # HTML pages stay out of the API schema
        assert "/api/docs" not in document["paths"]


def test_source_code_download(client: TestClient) -> None:
    response = client.get("/source.tar.gz")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        names = archive.getnames()
        licence = archive.extractfile("smartcity/LICENSE")
        assert licence is not None
        assert b"GNU AFFERO GENERAL PUBLIC LICENSE" in licence.read()
    assert "smartcity/src/smartcity/main.py" in names
    assert "smartcity/src/smartcity/web/templates/base.html" in names
    assert not any("__pycache__" in name for name in names)
