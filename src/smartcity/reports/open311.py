"""Open311 GeoReport v2 at /open311/v2 (http://wiki.open311.org/GeoReport_v2).

Every resource answers as ``.json`` or ``.xml``; errors use the spec's error list
(``[{"code": 400, "description": "..."}]`` / ``<errors><error>…``), not problem+json.
Service codes are our category codes; ``status`` is the spec's ``open``/``closed`` and the
finer status goes in ``status_notes``.  POST needs an API key with the ``reports:submit``
scope.  Extension (as in several cities' servers): ``lat``/``long``/``radius`` on GET
requests.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from smartcity.core.auth import CredentialKind, Principal, api_key_for
from smartcity.core.clock import VN_TZ, utcnow
from smartcity.core.errors import SmartCityError
from smartcity.core.geo import box_around
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_, gettext, language_of
from smartcity.core.schemas import MAX_ID
from smartcity.reports.forms import report_from_form
from smartcity.reports.limits import create_limit
from smartcity.reports.models import CLOSED_STATUSES, OPEN_STATUSES, Category, Report
from smartcity.reports.repository import ReportFilter
from smartcity.reports.service import distance_m, reports

# Described by the GeoReport v2 spec and its own discovery document, not by our OpenAPI.
router = api_router(prefix="/open311/v2", tags=["open311"], include_in_schema=False)

SUBMIT_SCOPE = "reports:submit"
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-28T00:00:00Z"
MAX_RANGE_DAYS = 90
MAX_RESULTS = 1000
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
#: Which structured fields each category asks for, as Open311 attributes.
ATTRIBUTES: dict[str, list[dict[str, Any]]] = {
    "flood": [
        {
            "code": "water_depth_cm",
            "datatype": "number",
            "description": N_("Độ sâu nước ước tính (cm)"),
            "values": [],
        },
        {
            "code": "water_depth_level",
            "datatype": "singlevaluelist",
            "description": N_("Mức nước"),
            "values": [
                ("ankle", N_("Mắt cá chân")),
                ("knee", N_("Đầu gối")),
                ("thigh", N_("Đùi")),
            ],
        },
    ],
    "traffic": [
        {
            "code": "jam_severity",
            "datatype": "singlevaluelist",
            "description": N_("Mức độ kẹt xe"),
            "values": [
                ("slow", N_("Đi chậm")),
                ("congested", N_("Kẹt xe")),
                ("standstill", N_("Đứng yên")),
            ],
        },
        {
            "code": "blocked_lanes",
            "datatype": "number",
            "description": N_("Số làn bị chặn"),
            "values": [],
        },
    ],
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- rendering ----------------------------------------------------------------------


def _xml_value(parent: ET.Element, name: str, value: Any, item_names: dict[str, str]) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(element, key, inner, item_names)
    elif isinstance(value, list):
        for inner in value:
            _xml_value(element, item_names.get(name, "item"), inner, item_names)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


#: XML names: the root of a list and the element of each item.
_XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def render(fmt: str, root: str, data: Any, status: int = 200) -> Response:
    if fmt == "json":
        return JSONResponse(data, status_code=status, media_type=FORMATS["json"])
    element = ET.Element(root)
    if isinstance(data, list):
        for item in data:
            _xml_value(element, _XML_ITEMS[root], item, _XML_ITEMS)
    else:
        for key, value in data.items():
            _xml_value(element, key, value, _XML_ITEMS)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")
    return Response(body, status_code=status, media_type=FORMATS["xml"])


def error_response(fmt: str, status: int, description: str) -> Response:
    return render(
        fmt if fmt in FORMATS else "json",
        "errors",
        [{"code": status, "description": description}],
        status,
    )


def _w3c(moment: datetime | None) -> str | None:
    return moment.astimezone(VN_TZ).isoformat(timespec="seconds") if moment else None


def _guarded(request: Request, fmt: str, produce: Callable[[], Response]) -> Response:
    """Run ``produce`` and turn every expected failure into the spec's error list."""
    language = language_of(request)
    if fmt not in FORMATS:
        return error_response(
            "json", 404, gettext(N_("Định dạng phải là json hoặc xml."), language)
        )
    try:
        return produce()
    except Open311Error as error:
        return error_response(fmt, error.status, error.description)
    except SmartCityError as error:
        return error_response(fmt, error.status, error.detail(language))


# --- resources ----------------------------------------------------------------------


def _service(category: Category, language: str) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": gettext(category.name, language),
        "description": gettext(category.description, language),
        "metadata": bool(category.field_set),
        "type": "realtime",
        "keywords": category.code,
        "group": category.agency_kind.value,
    }


def _request_document(report: Report, names: dict[str, str], base_url: str) -> dict[str, Any]:
    closed = report.status in CLOSED_STATUSES
    return {
        "service_request_id": str(report.id),
        "status": "closed" if closed else "open",
        "status_notes": report.answer or report.reason or report.status.value,
        "service_name": names.get(report.category_code, report.category_code),
        "service_code": report.category_code,
        "description": report.description,
        "agency_responsible": report.agency_code,
        "service_notice": None,
        "requested_datetime": _w3c(report.created_at),
        "updated_datetime": _w3c(report.updated_at),
        "expected_datetime": _w3c(report.due_at),
        "address": report.address or "",
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": f"{base_url}/files/{report.photos[0]}" if report.photos else "",
    }


def _parse_datetime(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name}: not a W3C datetime (e.g. 2026-01-01T00:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _float(value: str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise Open311Error(400, f"{name}: not a number") from None
    if not math.isfinite(number):
        raise Open311Error(400, f"{name}: not a number")
    return number


def _category_names(session: Session, language: str) -> dict[str, str]:
    return {c.code: gettext(c.name, language) for c in reports.categories(session)}


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/discovery.{fmt}", summary="Open311 discovery")
def discovery(request: Request, fmt: str) -> Response:
    def produce() -> Response:
        return render(
            fmt,
            "discovery",
            {
                "changeset": CHANGESET,
                "contact": "Cổng phản ánh TP.HCM — /reports",
                "key_service": "API keys with the reports:submit scope: `smartcity users api-key`",
                "endpoints": [
                    {
                        "specification": SPEC_URL,
                        "url": f"{_base_url(request)}/open311/v2",
                        "changeset": CHANGESET,
                        "type": "production",
                        "formats": ["text/xml", "application/json"],
                    }
                ],
            },
        )

    return _guarded(request, fmt, produce)


@router.get("/services.{fmt}", summary="Open311 service list")
def services(request: Request, session: SessionDep, fmt: str) -> Response:
    language = language_of(request)
    return _guarded(
        request,
        fmt,
        lambda: render(
            fmt, "services", [_service(c, language) for c in reports.categories(session)]
        ),
    )


@router.get("/services/{service_code}.{fmt}", summary="Open311 service definition")
def service_definition(
    request: Request, session: SessionDep, service_code: str, fmt: str
) -> Response:
    language = language_of(request)

    def produce() -> Response:
        category = reports.category(session, service_code)
        attributes = [
            {
                "variable": True,
                "code": attribute["code"],
                "datatype": attribute["datatype"],
                "required": False,
                "datatype_description": "",
                "order": order,
                "description": gettext(attribute["description"], language),
                "values": [
                    {"key": key, "name": gettext(name, language)}
                    for key, name in attribute["values"]
                ],
            }
            for order, attribute in enumerate(ATTRIBUTES.get(category.field_set, []), start=1)
        ]
        return render(
            fmt, "service_definition", {"service_code": category.code, "attributes": attributes}
        )

    return _guarded(request, fmt, produce)


@router.get("/requests.{fmt}", summary="Open311 service requests (filters as in the spec)")
def list_requests(request: Request, session: SessionDep, fmt: str) -> Response:
    params = request.query_params

    def produce() -> Response:
        ids: tuple[int, ...] = ()
        if params.get("service_request_id"):
            try:
                ids = tuple(int(p) for p in params["service_request_id"].split(",") if p.strip())
                if any(not 0 < i <= MAX_ID for i in ids):
                    raise ValueError
            except ValueError:
                raise Open311Error(400, "service_request_id: numbers, comma separated") from None
        codes = [c for c in (params.get("service_code") or "").split(",") if c]
        states = [s for s in (params.get("status") or "").split(",") if s]
        if any(s not in ("open", "closed") for s in states):
            raise Open311Error(400, "status: open or closed")
        now = utcnow()
        end = _parse_datetime(params["end_date"], "end_date") if params.get("end_date") else None
        start = (
            _parse_datetime(params["start_date"], "start_date")
            if params.get("start_date")
            else None
        )
        if not ids:
            # The spec: without dates, the last 90 days; a range may not exceed 90 days.
            if start is None and end is None:
                end = now
            if start is None:
                start = (end or now) - timedelta(days=MAX_RANGE_DAYS)
            if end is not None and end - start > timedelta(days=MAX_RANGE_DAYS):
                raise Open311Error(400, "start_date..end_date may span at most 90 days")
        statuses = tuple(
            status
            for state in states
            for status in (OPEN_STATUSES if state == "open" else CLOSED_STATUSES)
        )
        lat, lon = _float(params.get("lat"), "lat"), _float(params.get("long"), "long")
        radius = _float(params.get("radius"), "radius")
        language = language_of(request)
        names = _category_names(session, language)
        found: list[Report] = []
        wanted: list[str | None] = list(codes) or [None]
        for code in wanted:
            where = ReportFilter(
                category=code,
                statuses=statuses,
                since=start,
                until=end + timedelta(microseconds=1) if end else None,
                ids=ids,
            )
            found += _search(session, where, lon=lon, lat=lat, radius=radius)
        found.sort(key=lambda r: r.id, reverse=True)
        base = _base_url(request)
        return render(
            fmt,
            "service_requests",
            [_request_document(r, names, base) for r in found[:MAX_RESULTS]],
        )

    return _guarded(request, fmt, produce)


def _search(
    session: Session,
    where: ReportFilter,
    *,
    lon: float | None,
    lat: float | None,
    radius: float | None,
) -> Sequence[Report]:
    if lat is None or lon is None:
        return reports.list_rows(session, where=where, limit=MAX_RESULTS)
    radius = min(radius or 500.0, 5000.0)
    rows = reports.rows_in_box(
        session, where=where, bbox=box_around(lon, lat, radius), limit=MAX_RESULTS
    )
    return [r for r in rows if distance_m(lon, lat, r.lon, r.lat) <= radius]


@router.get("/requests/{service_request_id}.{fmt}", summary="One Open311 service request")
def get_request(
    request: Request, session: SessionDep, service_request_id: str, fmt: str
) -> Response:
    def produce() -> Response:
        if not service_request_id.isdigit() or int(service_request_id) > MAX_ID:
            raise Open311Error(404, f"service_request_id {service_request_id} not found")
        report = reports.get(session, int(service_request_id))
        names = _category_names(session, language_of(request))
        return render(
            fmt, "service_requests", [_request_document(report, names, _base_url(request))]
        )

    return _guarded(request, fmt, produce)


@router.get("/tokens/{token}.{fmt}", summary="Open311 token → service request id")
def get_token(request: Request, session: SessionDep, token: str, fmt: str) -> Response:
    def produce() -> Response:
        # Requests are created at once, so a token names its request: "r<id>".
        if not (token.startswith("r") and token[1:].isdigit() and int(token[1:]) <= MAX_ID):
            raise Open311Error(404, f"token {token} not found")
        report = reports.get(session, int(token[1:]))
        return render(
            fmt, "service_requests", [{"service_request_id": str(report.id), "token": token}]
        )

    return _guarded(request, fmt, produce)


async def _form(request: Request) -> Any:
    return await request.form(max_files=0, max_fields=100)


@router.post(
    "/requests.{fmt}",
    summary="Create an Open311 service request (api_key with reports:submit)",
    dependencies=[Depends(create_limit)],
)
def create_request(
    request: Request, session: SessionDep, fmt: str, form: Annotated[Any, Depends(_form)]
) -> Response:
    def produce() -> Response:
        key = form.get("api_key") or request.headers.get("x-api-key") or ""
        api_key = api_key_for(session, key) if isinstance(key, str) else None
        if api_key is None:
            raise Open311Error(403, "api_key missing or invalid")
        principal = Principal(credential=CredentialKind.api_key, api_key=api_key)
        if not principal.has_scopes(SUBMIT_SCOPE):
            raise Open311Error(403, f"api_key lacks the {SUBMIT_SCOPE} scope")
        raw: dict[str, Any] = {
            "category": form.get("service_code") or "",
            "lat": form.get("lat"),
            "lon": form.get("long"),
            "address": form.get("address_string"),
            "description": form.get("description") or "",
            "contact_email": form.get("email"),
            "contact_phone": form.get("phone"),
            "contact_name": " ".join(
                p for p in (form.get("first_name"), form.get("last_name")) if p
            )
            or None,
        }
        for name in ("water_depth_cm", "water_depth_level", "jam_severity", "blocked_lanes"):
            value = form.get(f"attribute[{name}]")
            if value:
                raw[name] = value
        if not raw["category"]:
            raise Open311Error(400, "service_code is required")
        try:
            data = report_from_form(raw)
        except Exception as error:
            raise Open311Error(400, _validation_text(error)) from None
        created = reports.create(session, data=data, principal=principal)
        report = created.report
        return render(
            fmt,
            "service_requests",
            [
                {
                    "service_request_id": str(report.id),
                    "token": f"r{report.id}",
                    "service_notice": f"expected by {_w3c(report.due_at)}",
                    "account_id": None,
                }
            ],
        )

    return _guarded(request, fmt, produce)


def _validation_text(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        parts = []
        for item in errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            parts.append(f"{where}: {item.get('msg', '')}")
        return "; ".join(parts) or "invalid request"
    if isinstance(error, ValidationError):
        return str(error)
    return "invalid request"
