"""Every module's routers, in one place."""

from __future__ import annotations

from fastapi import APIRouter

from smartcity.core.health import router as health_router
from smartcity.places.endpoints import router as places_router


def routers() -> list[APIRouter]:
    """JSON API and HTML routers of every module, in mounting order."""
    return [
        health_router,
        places_router,
    ]
