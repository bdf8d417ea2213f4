"""``/tiles/{layer}/{z}/{x}/{y}.mvt`` for every registered layer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request, Response
from starlette.concurrency import run_in_threadpool

from smartcity.core import tiles
from smartcity.core.errors import NotFound
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_

MVT = "application/vnd.mapbox-vector-tile"
router = api_router(tags=["tiles"])


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    summary="A Mapbox Vector Tile (2.1) of a map layer",
    response_class=Response,
    responses={
        200: {"content": {MVT: {}}, "description": "The tile (empty when nothing is there)"}
    },
)
async def get_tile(
    request: Request,
    session: SessionDep,
    layer: Annotated[str, Path(pattern="^[a-z0-9_-]{1,40}$")],
    z: Annotated[int, Path(ge=0, le=tiles.MAX_ZOOM)],
    x: Annotated[int, Path(ge=0, le=2**tiles.MAX_ZOOM - 1)],
    y: Annotated[int, Path(ge=0, le=2**tiles.MAX_ZOOM - 1)],
) -> Response:
    if x >= 2**z or y >= 2**z:
        raise NotFound(N_("Ô bản đồ {z}/{x}/{y} nằm ngoài lưới."), z=z, x=x, y=y)
    provider = tiles.registered_layers().get(layer)
    if provider is None:
        raise NotFound(N_("Không có lớp bản đồ “{layer}”."), layer=layer)
    data, etag = await run_in_threadpool(tiles.render, session, provider, z, x, y)
    headers = {"etag": etag, "cache-control": "public, max-age=60"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content=data, media_type=MVT, headers=headers)
