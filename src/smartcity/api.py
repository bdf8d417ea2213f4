"""Every module's routers, in one place."""

from __future__ import annotations

from fastapi import APIRouter

from smartcity.accounts.endpoints import router as accounts_api_router
from smartcity.accounts.views import router as accounts_pages_router
from smartcity.core.health import router as health_router


def routers() -> list[APIRouter]:
    """JSON API and HTML routers of every module, in mounting order."""
    return [
        health_router,
        accounts_api_router,
        accounts_pages_router,
    ]
