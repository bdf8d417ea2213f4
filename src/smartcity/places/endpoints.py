"""JSON API of places: /api/v1/places/..."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import JSONResponse

from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import language_of
from smartcity.places.schemas import (
    VIETNAM_MAX_LAT,
    VIETNAM_MAX_LON,
    VIETNAM_MIN_LAT,
    VIETNAM_MIN_LON,
    AddressConversion,
    AddressConversionRequest,
    DivisionType,
    WardFeature,
    WardLocation,
    WardPage,
)
from smartcity.places.service import places as places_service

GEOJSON = "application/geo+json"
PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}

router = api_router(prefix="/api/v1/places", tags=["places"])


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON


@router.get("/wards", response_model=WardPage, summary="List and search today's wards")
def list_wards(
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Name, with or without accents: “phuong ben thanh” finds Phường Bến Thành.",
        ),
    ] = None,
    division_type: Annotated[DivisionType | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> WardPage:
    return places_service.list_wards(
        session, query=q, division_type=division_type, limit=limit, offset=offset
    )


@router.get(
    "/wards.geojson",
    summary="Every ward boundary as one FeatureCollection (for the city map)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, 304: {"description": "Not modified"}},
)
def wards_geojson(
    request: Request,
    session: SessionDep,
    simplify: Annotated[
        float, Query(ge=0, le=5000, description="Simplification tolerance in metres.")
    ] = 0,
) -> Response:
    body, etag = places_service.wards_geojson(session, simplify_metres=simplify)
    headers = {"etag": etag, "cache-control": "public, max-age=300"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=GEOJSON, headers=headers)


@router.get(
    "/wards/{code}",
    response_model=WardFeature,
    response_class=GeoJSONResponse,
    summary="One ward as a GeoJSON Feature, with its pre-2025 predecessors",
    responses={404: PROBLEM},
)
def get_ward(
    session: SessionDep,
    code: Annotated[int, Path(ge=1, le=99_999, description="GSO/NSO ward code (5 digits).")],
) -> WardFeature:
    return places_service.get_feature(session, code=code)


@router.get(
    "/locate",
    response_model=WardLocation,
    summary="The ward containing a point",
    responses={404: PROBLEM},
)
def locate(
    session: SessionDep,
    lon: Annotated[float, Query(ge=VIETNAM_MIN_LON, le=VIETNAM_MAX_LON, description="WGS84.")],
    lat: Annotated[float, Query(ge=VIETNAM_MIN_LAT, le=VIETNAM_MAX_LAT, description="WGS84.")],
) -> WardLocation:
    return places_service.locate(session, lon=lon, lat=lat)


@router.post(
    "/convert-address",
    response_model=AddressConversion,
    summary="Convert a pre-2025 (district-based) address to today's ward",
    responses={422: PROBLEM},
)
def convert_address(
    request: Request, session: SessionDep, body: AddressConversionRequest
) -> AddressConversion:
    return places_service.convert_address(session, request=body, language=language_of(request))
