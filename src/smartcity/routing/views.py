"""The route planner page (``/routes``); the map logic lives in ``static/js/route-planner.js``."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from smartcity.config import get_settings
from smartcity.core.http import api_router
from smartcity.web.templating import render

router = api_router(include_in_schema=False)

ROADS_TILES_URL = "/tiles/roads/{z}/{x}/{y}.mvt"


@router.get("/routes", response_class=HTMLResponse)
def planner(request: Request) -> Response:
    settings = get_settings()
    return render(
        request,
        "routing/planner.html",
        {
            "roads_tiles": ROADS_TILES_URL,
            "tile_url": settings.tile_url,
            "tile_attribution": settings.tile_attribution,
        },
    )
