"""Routing JSON API: ``POST /api/v1/routes`` (a query: no side effects, nothing stored)."""

from __future__ import annotations

from fastapi import Request

from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import language_of
from smartcity.routing.schemas import RouteCollection, RouteRequest
from smartcity.routing.service import routing

router = api_router(tags=["routing"])


@router.post(
    "/api/v1/routes",
    response_model=RouteCollection,
    summary="Route for a motorbike or car on the live network (GeoJSON, steps, notices)",
)
def plan_route(request: Request, body: RouteRequest, session: SessionDep) -> RouteCollection:
    return routing.route(session, body, body.language or language_of(request))
