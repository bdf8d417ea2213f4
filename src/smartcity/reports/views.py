"""HTML pages of reports: public list and map, the report form, a report's page, the
officer console and ward statistics.  Forms post with CSRF tokens; no inline scripts."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from smartcity.core.auth import OptionalPrincipal, Principal
from smartcity.core.clock import VN_TZ, to_local, utcnow
from smartcity.core.csrf import verify_csrf
from smartcity.core.errors import SmartCityError, Unauthorized
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_, gettext, language_of
from smartcity.core.models import Role
from smartcity.core.schemas import MAX_ID
from smartcity.places.service import places as places_service
from smartcity.reports.forms import invalid, photos_from_form, report_filter, report_from_form
from smartcity.reports.limits import create_limit
from smartcity.reports.models import ReportStatus
from smartcity.reports.schemas import MAX_PHOTOS, ActionRequest
from smartcity.reports.service import reports
from smartcity.web.templating import render

router = api_router(tags=["pages"], include_in_schema=False)

STATUS_LABELS: dict[str, str] = {
    "received": N_("Đã tiếp nhận"),
    "assigned": N_("Đã giao xử lý"),
    "in_progress": N_("Đang xử lý"),
    "waiting_info": N_("Chờ bổ sung thông tin"),
    "resolved": N_("Đã xử lý"),
    "rejected": N_("Từ chối"),
}
EVENT_LABELS: dict[str, str] = {
    "received": N_("Tiếp nhận"),
    "assigned": N_("Giao xử lý"),
    "in_progress": N_("Bắt đầu xử lý"),
    "info_requested": N_("Yêu cầu bổ sung thông tin"),
    "info_provided": N_("Người dân bổ sung thông tin"),
    "resolved": N_("Trả lời kết quả"),
    "rejected": N_("Từ chối"),
    "transferred": N_("Chuyển đơn vị"),
    "reopened": N_("Mở lại"),
    "rated": N_("Đánh giá"),
    "supported": N_("Thêm người ủng hộ"),
}
ACTION_LABELS: dict[str, str] = {
    "accept": N_("Tiếp nhận"),
    "start": N_("Bắt đầu xử lý"),
    "request_info": N_("Yêu cầu bổ sung"),
    "transfer": N_("Chuyển đơn vị"),
    "resolve": N_("Trả lời kết quả"),
    "reject": N_("Từ chối"),
}
AGENCY_KIND_LABELS: dict[str, str] = {
    "ward_committee": N_("UBND phường, xã"),
    "construction": N_("Sở Xây dựng"),
    "traffic_centre": N_("Trung tâm Quản lý Giao thông"),
    "drainage": N_("Công ty Thoát nước"),
    "environment": N_("Công ty Môi trường"),
    "urban_order": N_("Công an (trật tự đô thị)"),
}


def _common() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "event_labels": EVENT_LABELS,
        "local": to_local,
    }


@router.get("/reports", response_class=HTMLResponse)
def list_page(
    request: Request,
    session: SessionDep,
    _principal: OptionalPrincipal,
    category: Annotated[str | None, Query(max_length=40)] = None,
    ward: Annotated[int | None, Query(ge=1, le=99_999)] = None,
    status: Annotated[ReportStatus | None, Query()] = None,
    since: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    until: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    where = report_filter(category or None, ward, [status] if status else None, since, until)
    page = reports.list_page(session, where=where, before=before, limit=20)
    names = places_service.ward_names(session, {r.ward_code for r in page.items})
    query = request.url.query
    params = "&".join(p for p in query.split("&") if p and not p.startswith("before="))
    return render(
        request,
        "reports/list.html",
        {
            **_common(),
            "page": page,
            "ward_names": names,
            "categories": reports.categories(session),
            "wards": places_service.list_wards(
                session, query=None, division_type=None, limit=200, offset=0
            ).items,
            "filters": {
                "category": category or "",
                "ward": ward,
                "status": status.value if status else "",
                "since": since or "",
                "until": until or "",
            },
            "map_query": params,
            "next_url": f"/reports?{params + '&' if params else ''}before={page.next_before}"
            if page.next_before
            else None,
        },
    )


def _form_page(
    request: Request,
    session: Any,
    values: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "reports/new.html",
        {
            **_common(),
            "categories": reports.categories(session),
            "values": values,
            "error": error,
            "max_photos": MAX_PHOTOS,
        },
        status_code=status_code,
    )


@router.get("/reports/new", response_class=HTMLResponse)
def new_page(request: Request, session: SessionDep, _principal: OptionalPrincipal) -> Response:
    return _form_page(request, session, {})


@router.post("/reports/new", dependencies=[Depends(verify_csrf), Depends(create_limit)])
async def new_submit(request: Request, _principal: OptionalPrincipal) -> Response:
    # Read the multipart body on the event loop, then do the database work in the pool.
    form = await request.form(max_files=MAX_PHOTOS + 5, max_fields=50)
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    photos = await photos_from_form(form)
    return await run_in_threadpool(_create_from_form, request, form, values, photos)


def _create_from_form(
    request: Request, form: Any, values: dict[str, Any], photos: list[Any]
) -> Response:
    session = request.state.db
    principal: Principal | None = getattr(request.state, "principal", None)
    language = language_of(request)
    try:
        data = report_from_form(form)
        created = reports.create(session, data=data, photos=photos, principal=principal)
    except RequestValidationError as error:
        fields = sorted({str(e["loc"][-1]) for e in error.errors()})
        message = gettext(N_("Hãy kiểm tra lại: {fields}."), language, fields=", ".join(fields))
        return _form_page(request, session, values, error=message, status_code=422)
    except SmartCityError as error:
        session.rollback()
        return _form_page(
            request, session, values, error=error.detail(language), status_code=error.status
        )
    target = f"/reports/{created.report.id}"
    if created.reporter_key:
        target += f"?key={quote(created.reporter_key)}"
    return RedirectResponse(target, status_code=303)


@router.get("/reports/console", response_class=HTMLResponse)
def console_page(request: Request, session: SessionDep, principal: OptionalPrincipal) -> Response:
    if principal is None:
        return RedirectResponse(f"/login?next={quote('/reports/console')}", status_code=303)
    queue = reports.queue(session, principal=principal)
    now = utcnow()
    names = places_service.ward_names(session, {r.ward_code for r in queue})
    return render(
        request,
        "reports/console.html",
        {
            **_common(),
            "queue": queue,
            "now": now,
            "overdue": {r.id for r in queue if reports.is_overdue(r, now)},
            "ward_names": names,
            "actions": ACTION_LABELS,
            "agency_kinds": AGENCY_KIND_LABELS,
        },
    )


@router.post("/reports/console/bulk", dependencies=[Depends(verify_csrf)])
async def console_bulk(request: Request, principal: OptionalPrincipal) -> Response:
    form = await request.form(max_files=0, max_fields=300)
    ids = [int(v) for v in form.getlist("report_ids") if isinstance(v, str) and v.isdigit()]
    body = _action_from_form(form)

    def run() -> Response:
        officer = _officer(principal)
        reports.bulk_act(request.state.db, report_ids=ids, request=body, principal=officer)
        return RedirectResponse("/reports/console", status_code=303)

    return await run_in_threadpool(run)


@router.post("/reports/console/{report_id}", dependencies=[Depends(verify_csrf)])
async def console_act(
    request: Request, report_id: Annotated[int, Path(ge=1, le=MAX_ID)], principal: OptionalPrincipal
) -> Response:
    form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=50)
    body = _action_from_form(form)
    photos = await photos_from_form(form)

    def run() -> Response:
        officer = _officer(principal)
        reports.act(
            request.state.db, report_id=report_id, request=body, principal=officer, photos=photos
        )
        return RedirectResponse(f"/reports/{report_id}", status_code=303)

    return await run_in_threadpool(run)


def _officer(principal: Principal | None) -> Principal:
    if principal is None:
        raise Unauthorized(N_("Hãy đăng nhập bằng tài khoản cán bộ."))
    return principal


def _action_from_form(form: Any) -> ActionRequest:
    raw = {
        k: form.get(k)
        for k in ("action", "note", "agency", "assignee_id")
        if isinstance(form.get(k), str) and form.get(k) != ""
    }
    try:
        return ActionRequest.model_validate(raw)
    except ValidationError as error:
        raise invalid(error) from None


@router.get("/reports/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    session: SessionDep,
    _principal: OptionalPrincipal,
    first: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$")] = None,
    last: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$")] = None,
) -> Response:
    this_month = utcnow().astimezone(VN_TZ).strftime("%Y-%m")
    rows = reports.ward_stats(
        session, first_period=first or f"{this_month[:4]}-01", last_period=last or this_month
    )
    return render(
        request,
        "reports/stats.html",
        {"rows": rows, "first": first or f"{this_month[:4]}-01", "last": last or this_month},
    )


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def detail_page(
    request: Request,
    session: SessionDep,
    principal: OptionalPrincipal,
    report_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    key: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    report = reports.get(session, report_id)
    out = reports.public(session, report_id)
    category = reports.category(session, report.category_code)
    is_reporter = reports.is_reporter(principal, report, key)
    return render(
        request,
        "reports/detail.html",
        {
            **_common(),
            "report": out,
            "category": category,
            "key": key if is_reporter else None,
            "is_reporter": is_reporter,
            "can_reopen": is_reporter and reports.can_reopen(report),
            "can_handle": reports.can_handle(principal, report),
            "is_officer": principal is not None and principal.role in (Role.officer, Role.admin),
            "actions": ACTION_LABELS,
            "agency_kinds": AGENCY_KIND_LABELS,
            "max_photos": MAX_PHOTOS,
        },
    )


def _back(report_id: Annotated[int, Path(ge=1, le=MAX_ID)], key: str | None) -> RedirectResponse:
    target = f"/reports/{report_id}" + (f"?key={quote(key)}" if key else "")
    return RedirectResponse(target, status_code=303)


@router.post("/reports/{report_id}/support", dependencies=[Depends(verify_csrf)])
def support_submit(
    session: SessionDep,
    principal: OptionalPrincipal,
    report_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    email: Annotated[str | None, Form(max_length=254)] = None,
) -> Response:
    reports.support(session, report_id=report_id, principal=principal, email=email or None)
    return _back(report_id, None)


@router.post("/reports/{report_id}/rate", dependencies=[Depends(verify_csrf)])
def rate_submit(
    session: SessionDep,
    principal: OptionalPrincipal,
    report_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    rating: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str | None, Form(max_length=2000)] = None,
    key: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    reports.rate(
        session, report_id=report_id, principal=principal, key=key, rating=rating, comment=comment
    )
    return _back(report_id, key)


@router.post("/reports/{report_id}/reopen", dependencies=[Depends(verify_csrf)])
def reopen_submit(
    session: SessionDep,
    principal: OptionalPrincipal,
    report_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    key: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    reports.reopen(session, report_id=report_id, principal=principal, key=key, reason=reason)
    return _back(report_id, key)


@router.post("/reports/{report_id}/info", dependencies=[Depends(verify_csrf)])
def info_submit(
    session: SessionDep,
    principal: OptionalPrincipal,
    report_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    note: Annotated[str, Form(min_length=1, max_length=4000)],
    key: Annotated[str | None, Form(max_length=100)] = None,
) -> Response:
    reports.provide_info(session, report_id=report_id, principal=principal, key=key, note=note)
    return _back(report_id, key)
