"""JSON API of reports: /api/v1/reports/..."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from smartcity.core.auth import CurrentPrincipal, OptionalPrincipal
from smartcity.core.clock import VN_TZ, utcnow
from smartcity.core.db import get_database
from smartcity.core.errors import BadRequest, UnsupportedMediaType
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_
from smartcity.core.schemas import MAX_ID, Latitude, Longitude
from smartcity.reports.forms import (
    photos_from_form,
    report_filter,
    report_from_form,
    report_from_json,
)
from smartcity.reports.limits import create_limit
from smartcity.reports.models import ReportStatus
from smartcity.reports.schemas import (
    ActionRequest,
    BulkActionRequest,
    CategoryOut,
    InfoRequest,
    MapPoints,
    NearbyReport,
    RatingRequest,
    ReopenRequest,
    ReportCreate,
    ReportCreated,
    ReportOut,
    ReportPage,
    ReportSummary,
    WardStatsOut,
)
from smartcity.reports.service import Photo, reports

router = api_router(prefix="/api/v1/reports", tags=["reports"])

ReportIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

_CREATE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ReportCreate.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["category", "description"],
                    "properties": {
                        "category": {"type": "string"},
                        "lon": {"type": "number"},
                        "lat": {"type": "number"},
                        "address": {"type": "string"},
                        "description": {"type": "string"},
                        "anonymous": {"type": "boolean"},
                        "photos": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "maxItems": 5,
                        },
                    },
                }
            },
        },
    }
}
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
#: Stream notifications for at most this long; the browser's EventSource reconnects.
STREAM_SECONDS = 300
STREAM_POLL_SECONDS = 2.0


async def parsed_report(request: Request) -> tuple[ReportCreate, list[Photo]]:
    """A new report from JSON (no photos) or multipart form data (with ``photos``)."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type == "application/json":
        return report_from_json(await request.body()), []
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form(max_files=10, max_fields=50)
        return report_from_form(form), await photos_from_form(form)
    raise UnsupportedMediaType(N_("Gửi phản ánh dưới dạng JSON hoặc multipart/form-data."))


CategoryQuery = Annotated[str | None, Query(max_length=40)]
WardQuery = Annotated[int | None, Query(ge=1, le=99_999)]
StatusQuery = Annotated[list[ReportStatus] | None, Query()]
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
SinceQuery = Annotated[
    str | None, Query(pattern=DAY_PATTERN, description="First day, YYYY-MM-DD (Ho Chi Minh time).")
]
UntilQuery = Annotated[
    str | None, Query(pattern=DAY_PATTERN, description="Last day, YYYY-MM-DD, inclusive.")
]


@router.get("/categories", response_model=list[CategoryOut], summary="Report categories")
def list_categories(session: SessionDep) -> list[CategoryOut]:
    return [CategoryOut.model_validate(c) for c in reports.categories(session)]


@router.get("", response_model=ReportPage, summary="Public list of reports, newest first")
def list_reports(
    session: SessionDep,
    category: CategoryQuery = None,
    ward: WardQuery = None,
    status: StatusQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Keyset: `next_before`.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ReportPage:
    return reports.list_page(
        session,
        where=report_filter(category, ward, status, since, until),
        before=before,
        limit=limit,
    )


@router.get("/map", response_model=MapPoints, summary="Reports inside a map box")
def map_points(
    session: SessionDep,
    bbox: Annotated[str, Query(description="min_lon,min_lat,max_lon,max_lat")],
    category: CategoryQuery = None,
    ward: WardQuery = None,
    status: StatusQuery = None,
    since: SinceQuery = None,
    until: UntilQuery = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> MapPoints:
    try:
        box = tuple(float(part) for part in bbox.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not (box[0] < box[2] and box[1] < box[3]):
        raise BadRequest(N_("bbox phải là min_lon,min_lat,max_lon,max_lat."))
    return reports.map_points(
        session,
        where=report_filter(category, ward, status, since, until),
        bbox=(box[0], box[1], box[2], box[3]),
        limit=limit,
    )


@router.get(
    "/nearby", response_model=list[NearbyReport], summary="Is it this one? Open reports nearby"
)
def nearby(
    session: SessionDep,
    category: Annotated[str, Query(max_length=40)],
    lon: Annotated[Longitude, Query()],
    lat: Annotated[Latitude, Query()],
) -> list[NearbyReport]:
    return reports.nearby(session, category=category, lon=lon, lat=lat)


@router.get("/stats", response_model=list[WardStatsOut], summary="Per-ward statistics")
def ward_stats(
    session: SessionDep,
    first: Annotated[str | None, Query(alias="from", pattern=PERIOD_PATTERN)] = None,
    last: Annotated[str | None, Query(alias="to", pattern=PERIOD_PATTERN)] = None,
    ward: WardQuery = None,
) -> list[WardStatsOut]:
    this_month = utcnow().astimezone(VN_TZ).strftime("%Y-%m")
    return reports.ward_stats(
        session, first_period=first or "0000-01", last_period=last or this_month, ward_code=ward
    )


@router.get("/queue", response_model=list[ReportSummary], summary="An officer's queue")
def queue(
    session: SessionDep,
    principal: CurrentPrincipal,
    closed: Annotated[bool, Query(description="Include closed reports.")] = False,
) -> list[ReportSummary]:
    return [
        ReportSummary.model_validate(r)
        for r in reports.queue(session, principal=principal, include_closed=closed)
    ]


@router.post(
    "",
    status_code=201,
    response_model=ReportCreated,
    summary="Report a problem (JSON, or multipart with up to 5 photos)",
    openapi_extra=_CREATE_BODY,
    dependencies=[Depends(create_limit)],
)
def create_report(
    session: SessionDep,
    principal: OptionalPrincipal,
    response: Response,
    parsed: Annotated[tuple[ReportCreate, list[Photo]], Depends(parsed_report)],
) -> ReportCreated:
    data, photos = parsed
    created = reports.create(session, data=data, photos=photos, principal=principal)
    response.headers["Location"] = f"/api/v1/reports/{created.report.id}"
    out = reports.public(session, created.report.id)
    return ReportCreated(**out.model_dump(), reporter_key=created.reporter_key)


@router.get("/notifications/stream", summary="Your report notifications (Server-Sent Events)")
async def notification_stream(
    request: Request,
    principal: CurrentPrincipal,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="Last notification id already seen.")
    ] = 0,
    seconds: Annotated[int, Query(ge=1, le=STREAM_SECONDS)] = STREAM_SECONDS,
) -> StreamingResponse:
    if principal.user is None:
        raise BadRequest(N_("Thông báo chỉ dành cho tài khoản người dùng."))
    user_id = principal.user.id
    last_id = int(request.headers.get("last-event-id", after) or after)

    def fetch(after_id: int) -> list[dict[str, Any]]:
        with get_database().sessionmaker() as session:
            rows = reports.notifications_after(session, user_id=user_id, after_id=after_id)
            return [
                {
                    "id": r.id,
                    "report_id": r.report_id,
                    "status": r.status,
                    "message": r.message,
                    "created_at": r.created_at.isoformat(),
                }
                for r in rows
            ]

    async def events() -> AsyncIterator[str]:
        nonlocal last_id
        loop = asyncio.get_running_loop()
        ends = loop.time() + seconds
        yield "retry: 5000\n\n"
        while loop.time() < ends and not await request.is_disconnected():
            for item in await run_in_threadpool(fetch, last_id):
                last_id = item["id"]
                yield f"id: {item['id']}\nevent: report\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"
            await asyncio.sleep(min(STREAM_POLL_SECONDS, max(0.0, ends - loop.time())))

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("/{report_id}", response_model=ReportOut, summary="A report with its timeline")
def get_report(session: SessionDep, report_id: ReportIdPath) -> ReportOut:
    return reports.public(session, report_id)


@router.post("/{report_id}/support", response_model=ReportOut, summary="Support an open report")
def support(
    session: SessionDep,
    principal: OptionalPrincipal,
    report_id: ReportIdPath,
    email: Annotated[str | None, Query(max_length=254)] = None,
) -> ReportOut:
    reports.support(session, report_id=report_id, principal=principal, email=email)
    return reports.public(session, report_id)


@router.post("/{report_id}/actions", response_model=ReportOut, summary="Officer action")
def act(
    session: SessionDep, principal: CurrentPrincipal, report_id: ReportIdPath, body: ActionRequest
) -> ReportOut:
    reports.act(session, report_id=report_id, request=body, principal=principal)
    return reports.public(session, report_id)


@router.post(
    "/actions/bulk", response_model=list[ReportSummary], summary="One action, many reports"
)
def bulk_act(
    session: SessionDep, principal: CurrentPrincipal, body: BulkActionRequest
) -> list[ReportSummary]:
    done = reports.bulk_act(
        session,
        report_ids=body.report_ids,
        request=ActionRequest.model_validate(body.model_dump(exclude={"report_ids"})),
        principal=principal,
    )
    return [ReportSummary.model_validate(r) for r in done]


@router.post("/{report_id}/info", response_model=ReportOut, summary="Reporter adds information")
def provide_info(
    session: SessionDep, principal: OptionalPrincipal, report_id: ReportIdPath, body: InfoRequest
) -> ReportOut:
    reports.provide_info(
        session, report_id=report_id, principal=principal, key=body.key, note=body.note
    )
    return reports.public(session, report_id)


@router.post("/{report_id}/rating", response_model=ReportOut, summary="Reporter rates the answer")
def rate(
    session: SessionDep, principal: OptionalPrincipal, report_id: ReportIdPath, body: RatingRequest
) -> ReportOut:
    reports.rate(
        session,
        report_id=report_id,
        principal=principal,
        key=body.key,
        rating=body.rating,
        comment=body.comment,
    )
    return reports.public(session, report_id)


@router.post("/{report_id}/reopen", response_model=ReportOut, summary="Reporter reopens once")
def reopen(
    session: SessionDep, principal: OptionalPrincipal, report_id: ReportIdPath, body: ReopenRequest
) -> ReportOut:
    reports.reopen(
        session, report_id=report_id, principal=principal, key=body.key, reason=body.reason
    )
    return reports.public(session, report_id)
