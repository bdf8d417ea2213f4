"""Flood pages: the live map with tide and forecast, and station pages."""

from __future__ import annotations

from fastapi import Request, Response
from starlette.responses import HTMLResponse

from smartcity.config import get_settings
from smartcity.core.clock import utcnow
from smartcity.core.http import SessionDep, api_router
from smartcity.core.schemas import EntityId
from smartcity.flood.models import Thing
from smartcity.flood.service import DEPTH_WORDS
from smartcity.flood.service import flood as flood_service
from smartcity.web.templating import render

router = api_router(include_in_schema=False)


@router.get("/flood", response_class=HTMLResponse)
def flood_page(request: Request, session: SessionDep) -> Response:
    settings = get_settings()
    return render(
        request,
        "flood/index.html",
        {
            "tide": flood_service.tide(session, start=utcnow(), hours=36),
            "depth_words": DEPTH_WORDS,
            "tile_url": settings.tile_url,
            "tile_attribution": settings.tile_attribution,
        },
    )


@router.get("/flood/stations/{thing_id}", response_class=HTMLResponse)
def station_page(request: Request, session: SessionDep, thing_id: EntityId) -> Response:
    thing = flood_service.get_entity(session, Thing, thing_id)
    return render(request, "flood/station.html", {"thing": thing})
