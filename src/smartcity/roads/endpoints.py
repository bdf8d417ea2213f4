"""Road network JSON API: network info, street search, geocoding."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from smartcity.core.http import SessionDep, api_router
from smartcity.core.schemas import Latitude, Longitude
from smartcity.roads.schemas import GeocodeResult, NetworkInfo, ReverseGeocodeResult, StreetPage
from smartcity.roads.service import roads as road_service

router = api_router(tags=["roads"])


@router.get("/api/v1/roads/network", response_model=NetworkInfo, summary="The active road network")
def network_info(session: SessionDep) -> NetworkInfo:
    return road_service.info(session)


@router.get(
    "/api/v1/roads/streets",
    response_model=StreetPage,
    summary="Find streets by name (accent- and case-insensitive), with their wards",
)
def search_streets(
    session: SessionDep,
    q: Annotated[
        str, Query(min_length=1, max_length=120, description="Street name, e.g. dien bien phu")
    ],
    ward: Annotated[
        int | None, Query(ge=1, le=99999, description="Only streets in this ward (code)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> StreetPage:
    return road_service.search_streets(session, query=q, ward_code=ward, limit=limit)


@router.get(
    "/api/v1/geocode",
    response_model=GeocodeResult,
    summary="Vietnamese address → point, with a confidence and the matched parts",
)
def geocode(
    session: SessionDep,
    q: Annotated[
        str, Query(min_length=1, max_length=300, description="e.g. 12 Nguyễn Huệ, Phường Sài Gòn")
    ],
) -> GeocodeResult:
    return road_service.geocode(session, query=q)


@router.get(
    "/api/v1/geocode/reverse",
    response_model=ReverseGeocodeResult,
    summary="Point → nearest street and the ward containing it",
)
def reverse_geocode(session: SessionDep, lon: Longitude, lat: Latitude) -> ReverseGeocodeResult:
    return road_service.reverse_geocode(session, lon=lon, lat=lat)
