"""HTML pages of the web shell: home map, language switch, "coming" pages, PWA files, API docs.

Two routers: :data:`router` (the shell's own pages, mounted with every module's routers) and
:data:`coming_soon_router`, mounted *last* so that a module's own page at ``/traffic``,
``/flood`` … wins as soon as it is included.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from starlette.responses import HTMLResponse

from smartcity.config import Environment, get_settings
from smartcity.core.http import api_router
from smartcity.core.i18n import LANGUAGE_COOKIE, gettext
from smartcity.web.navigation import Section, placeholder_sections
from smartcity.web.static import STATIC_DIR, static_url
from smartcity.web.templating import PACKAGE_DIR, render

router = api_router(include_in_schema=False)
coming_soon_router = api_router(include_in_schema=False)

WARDS_URL = "/api/v1/places/wards.geojson?simplify=50"
ROADS_TILES_URL = "/tiles/roads/{z}/{x}/{y}.mvt"
THEME_COLOUR = "#0b5f73"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600
SERVICE_WORKER_TEMPLATE = Path(__file__).resolve().parent / "sw.js"

#: Pages the service worker keeps for offline use (never personal pages).
SHELL_PAGES = ("/", "/offline")
#: Static files the service worker pre-caches with the shell.
SHELL_ASSETS = (
    "css/app.css",
    "js/app.js",
    "js/home-map.js",
    "vendor/htmx/htmx.min.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    "icons/icon-192.png",
    "icons/favicon.ico",
)


def safe_next(target: str | None) -> str:
    """A same-site path to go back to; anything else (other hosts, schemes, ``//x``) is ``/``."""
    if not target or any(ord(ch) < 0x20 or ch == "\\" for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith("//"):
        return "/"
    return target


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    settings = get_settings()
    return render(
        request,
        "home.html",
        {
            "wards_url": WARDS_URL,
            "roads_tiles": ROADS_TILES_URL,
            "tile_url": settings.tile_url,
            "tile_attribution": settings.tile_attribution,
        },
    )


@router.api_route("/lang", methods=["GET", "POST"])
def switch_language(
    request: Request,
    to: Annotated[Literal["vi", "en"], Query(description="Language to switch to")],
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """Remember the chosen language in a cookie and go back (303) to a page of this site."""
    response = RedirectResponse(safe_next(next_path), status_code=303)
    response.set_cookie(
        LANGUAGE_COOKIE,
        to,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        path="/",
        samesite="lax",
        httponly=True,
        secure=get_settings().env is Environment.production,
    )
    return response


@router.get("/offline", response_class=HTMLResponse)
def offline(request: Request) -> Response:
    return render(request, "offline.html")


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    """Swagger UI from our own static files (no CDN, no inline script)."""
    openapi_url = request.app.openapi_url or "/api/openapi.json"
    return render(request, "api_docs.html", {"openapi_url": openapi_url})


def manifest(language: str) -> dict[str, Any]:
    return {
        "name": gettext("Thành phố thông minh TP.HCM", language),
        "short_name": gettext("TP.HCM", language),
        "description": gettext(
            "Bản đồ, giao thông, ngập nước, phản ánh, dịch vụ công và dữ liệu mở của TP. Hồ Chí Minh.",
            language,
        ),
        "lang": language,
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "categories": ["government", "navigation", "utilities"],
        "icons": [
            {"src": static_url("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static_url("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


@router.get("/manifest.webmanifest")
def web_manifest() -> Response:
    """The PWA manifest (Vietnamese: browsers fetch it without the language cookie)."""
    body = json.dumps(manifest("vi"), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/manifest+json")


def shell_urls() -> list[str]:
    return [*SHELL_PAGES, *(static_url(asset) for asset in SHELL_ASSETS)]


def service_worker_source() -> str:
    urls = shell_urls()
    template = SERVICE_WORKER_TEMPLATE.read_text(encoding="utf-8")
    version = hashlib.sha256((template + "\n".join(urls)).encode()).hexdigest()[:12]
    return (
        template.replace("__VERSION__", version)
        .replace('"__SHELL_URLS__"', json.dumps(urls))
        .replace('"__SHELL_PAGES__"', json.dumps(list(SHELL_PAGES)))
        .replace('"__ICON__"', json.dumps(static_url("icons/icon-192.png")))
    )


@router.get("/sw.js")
def service_worker() -> Response:
    """The service worker, served from the root so that its scope is the whole site."""
    return Response(
        service_worker_source(),
        media_type="application/javascript",
        headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
    )


@router.get("/favicon.ico")
def favicon() -> Response:
    return FileResponse(
        STATIC_DIR / "icons" / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def _source_members() -> list[tuple[Path, str]]:
    root = PACKAGE_DIR.parent.parent  # the checkout: LICENSE, pyproject.toml, src/
    members = [
        (root / name, name)
        for name in ("LICENSE", "README.md", "pyproject.toml", "uv.lock")
        if (root / name).is_file()
    ]
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            members.append((path, f"src/smartcity/{path.relative_to(PACKAGE_DIR).as_posix()}"))
    return members


@lru_cache(maxsize=1)
def source_archive() -> bytes:
    """The running code as a reproducible .tar.gz (AGPL-3.0 §13: users of the service get it)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path, name in _source_members():
            info = archive.gettarinfo(str(path), arcname=f"smartcity/{name}")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            with path.open("rb") as handle:
                archive.addfile(info, handle)
    return gzip.compress(raw.getvalue(), mtime=0)


@router.get("/source.tar.gz")
def source_code() -> Response:
    return Response(
        source_archive(),
        media_type="application/gzip",
        headers={"Content-Disposition": 'attachment; filename="smartcity-source.tar.gz"'},
    )


def _coming_soon_page(section: Section) -> Callable[[Request], Response]:
    def page(request: Request) -> Response:
        return render(request, "coming_soon.html", {"section": section})

    page.__name__ = f"coming_soon_{section.path.strip('/').replace('/', '_')}"
    return page


for _section in placeholder_sections():
    coming_soon_router.add_api_route(
        _section.path,
        _coming_soon_page(_section),
        methods=["GET"],
        response_class=HTMLResponse,
        name=f"coming_soon:{_section.path}",
    )

__all__ = ["coming_soon_router", "router", "safe_next"]
