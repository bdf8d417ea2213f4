"""Flood JSON API: flood points, reports, tide, station series, forecast, subscriptions,
alerts, and a live Server-Sent-Events stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import StreamingResponse

from smartcity.core.auth import CurrentPrincipal, OptionalPrincipal, Principal
from smartcity.core.clock import utcnow
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_, gettext, language_of
from smartcity.core.models import Role
from smartcity.core.schemas import EntityId, Latitude, Longitude
from smartcity.flood import tasks
from smartcity.flood.errors import BadEntity
from smartcity.flood.models import DepthSource
from smartcity.flood.schemas import (
    AlertOut,
    ForecastOut,
    PointCollection,
    ReportOut,
    SeriesOut,
    SubscriptionIn,
    SubscriptionOut,
    TideOut,
)
from smartcity.flood.service import DEPTH_WORDS
from smartcity.flood.service import flood as flood_service

router = api_router(tags=["flood"])


def owner_of(principal: Principal) -> str:
    if principal.user is not None:
        return f"user:{principal.user.id}"
    if principal.api_key is not None:
        return f"key:{principal.api_key.id}"
    return "anonymous"


@router.get(
    "/api/v1/flood/points", response_model=PointCollection, summary="Flood points (GeoJSON)"
)
def flood_points(session: SessionDep) -> dict[str, Any]:
    return flood_service.points_geojson(session, now=utcnow())


@router.post(
    "/api/v1/flood/reports",
    response_model=ReportOut,
    status_code=201,
    summary="Report flooding here (photo optional); officers' reports count as verified",
)
def report_flooding(
    session: SessionDep,
    principal: OptionalPrincipal,
    lon: Annotated[Longitude, Form()],
    lat: Annotated[Latitude, Form()],
    depth_cm: Annotated[float | None, Form(ge=0, description="Depth estimate in cm")] = None,
    depth: Annotated[str | None, Form(description="Or a word: " + ", ".join(DEPTH_WORDS))] = None,
    photo: Annotated[UploadFile | None, File(description="JPEG, PNG or WebP")] = None,
) -> ReportOut:
    """A clearly marked flood-report endpoint of this module (the reports module's own
    ``report.created`` events feed the same fusion)."""
    value = depth_cm
    if value is None and depth is not None:
        value = DEPTH_WORDS.get(depth.lower())
    if value is None:
        raise BadEntity(
            N_("Cần độ sâu (depth_cm) hoặc mức: {words}."), words=", ".join(DEPTH_WORDS)
        )
    officer = principal is not None and principal.role in (Role.officer, Role.admin)
    data = photo.file.read() if photo is not None and photo.filename else None
    report = flood_service.add_report(
        session,
        lon=lon,
        lat=lat,
        depth_cm=value,
        source=DepthSource.officer if officer else DepthSource.report,
        photo=data or None,
    )
    return ReportOut.model_validate(report)


@router.get(
    "/api/v1/flood/tide", response_model=TideOut, summary="Phú An tide curve and alert levels"
)
def tide(
    session: SessionDep,
    hours: Annotated[int, Query(ge=1, le=24 * 14)] = 48,
) -> TideOut:
    return flood_service.tide(session, start=utcnow(), hours=hours)


@router.get(
    "/api/v1/flood/stations/{thing_id}/series",
    response_model=SeriesOut,
    summary="A station's readings over the last hours",
)
def station_series(
    session: SessionDep, thing_id: EntityId, hours: Annotated[int, Query(ge=1, le=24 * 7)] = 24
) -> SeriesOut:
    return flood_service.series(session, thing_id, since=utcnow() - timedelta(hours=hours))


@router.get("/api/v1/flood/forecast", response_model=ForecastOut, summary="Flood risk in 1, 3, 6 h")
def forecast(session: SessionDep) -> ForecastOut:
    return flood_service.forecast(session, now=utcnow())


@router.post(
    "/api/v1/flood/subscriptions",
    response_model=SubscriptionOut,
    status_code=201,
    summary="Watch a place or a route for flooding (now and forecast)",
)
def subscribe(
    session: SessionDep, principal: CurrentPrincipal, body: SubscriptionIn
) -> SubscriptionOut:
    subscription = flood_service.subscribe(
        session,
        owner=owner_of(principal),
        label=body.label,
        segments=body.segments,
        line=body.line,
        lon=body.lon,
        lat=body.lat,
        radius_m=body.radius_m,
    )
    return SubscriptionOut.model_validate(subscription)


@router.get("/api/v1/flood/alerts", response_model=list[AlertOut], summary="My flood alerts")
def my_alerts(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AlertOut]:
    language = language_of(request)
    return [
        AlertOut(
            id=a.id,
            subscription_id=a.subscription_id,
            kind=a.kind,
            level=a.level,
            depth_cm=a.depth_cm,
            segments=a.segments,
            message=gettext(a.message, language, **a.params),
            created_at=a.created_at,
        )
        for a in flood_service.alerts_for(session, owner=owner_of(principal), limit=limit)
    ]


@router.get(
    "/api/v1/flood/stream",
    summary="Server-Sent Events: 'changed' when flood points change",
    include_in_schema=False,  # an endless text/event-stream, not a request/response operation
)
async def stream(request: Request) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        seen = -1
        idle = 0
        while not await request.is_disconnected():
            version = tasks.live_version()
            if version != seen:
                seen = version
                idle = 0
                yield f"event: changed\ndata: {json.dumps({'version': version})}\n\n"
            else:
                idle += 1
                if idle % 15 == 0:
                    yield ": keep-alive\n\n"
            await asyncio.sleep(1.0)

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
