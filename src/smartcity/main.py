"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from smartcity import api
from smartcity.config import Settings, get_settings
from smartcity.core.auth import declare_optional_auth
from smartcity.core.csrf import CsrfCookieMiddleware
from smartcity.core.db import Database, get_database, set_database
from smartcity.core.error_handlers import install_error_handlers
from smartcity.core.middleware import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from smartcity.models_registry import import_all_models
from smartcity.web.errors import render_error_page
from smartcity.web.static import STATIC_PREFIX, static_files
from smartcity.web.views import coming_soon_router

log = logging.getLogger(__name__)

DESCRIPTION = """
Nền tảng thành phố thông minh mã nguồn mở cho TP. Hồ Chí Minh —
open-source smart-city platform for Ho Chi Minh City.

Errors are RFC 9457 `application/problem+json` documents with a stable `code`.
Map data © OpenStreetMap contributors (ODbL).
"""


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    import_all_models()
    if settings.redis_url:
        from smartcity.core.events_redis import use_redis_bus

        use_redis_bus(settings.redis_url)
    if database is not None:
        set_database(database)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        database = get_database()
        stop = api.start_background(database) if settings.background else None
        try:
            yield
        finally:
            if stop is not None:
                stop()

    app = FastAPI(
        title="HCMC Smart City Platform",
        version="0.1.0",
        description=DESCRIPTION,
        license_info={"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        docs_url=None,  # served by smartcity.web from vendored Swagger UI (CSP, offline)
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    install_error_handlers(app, render_html=render_error_page)
    api.register_tile_layers()
    api.register_notices()
    api.register_subscribers()
    for router in api.routers():
        app.include_router(router)
    # Last: "coming" pages for modules whose own pages are not mounted yet.
    app.include_router(coming_soon_router)
    declare_optional_auth(app)
    app.mount(STATIC_PREFIX, static_files(), name="static")
    app.add_middleware(CsrfCookieMiddleware, secure=settings.env == "production")
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    return app
