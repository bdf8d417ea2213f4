"""Every module's routers, in one place."""

from __future__ import annotations

from fastapi import APIRouter

from smartcity.accounts.endpoints import router as accounts_api_router
from smartcity.accounts.views import router as accounts_pages_router
from smartcity.core.files import router as files_router
from smartcity.core.health import router as health_router
from smartcity.core.tiles_endpoints import router as tiles_router
from smartcity.places.endpoints import router as places_router
from smartcity.web.views import router as web_router


def routers() -> list[APIRouter]:
    """JSON API and HTML routers of every module, in mounting order."""
    return [
        health_router,
        files_router,
        tiles_router,
        web_router,
        places_router,
        accounts_api_router,
        accounts_pages_router,
    ]
