"""Reading a new report from a form (the web page, the multipart API, Open311)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from smartcity.core.clock import VN_TZ
from smartcity.core.errors import BadRequest, ValidationFailed
from smartcity.core.i18n import N_
from smartcity.reports.models import ReportStatus
from smartcity.reports.repository import ReportFilter
from smartcity.reports.schemas import ReportCreate
from smartcity.reports.service import Photo

_FIELD_NAMES = ("water_depth_cm", "water_depth_level", "jam_severity", "blocked_lanes")
_TRUE = {"1", "true", "on", "yes"}


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) and value.strip() != "" else None


def invalid(error: ValidationError, where: str = "body") -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": (where, *e["loc"])} for e in error.errors(include_url=False)]
    )


def report_from_form(form: Mapping[str, Any]) -> ReportCreate:
    raw: dict[str, Any] = {
        name: _text(form, name)
        for name in (
            "category",
            "lon",
            "lat",
            "address",
            "contact_name",
            "contact_email",
            "contact_phone",
        )
    }
    raw["description"] = form.get("description") or ""
    raw["anonymous"] = (_text(form, "anonymous") or "").lower() in _TRUE
    raw["fields"] = {n: v for n in _FIELD_NAMES if (v := _text(form, n)) is not None}
    try:
        return ReportCreate.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValidationError as error:
        raise invalid(error) from None


def report_from_json(body: bytes) -> ReportCreate:
    try:
        raw = json.loads(body)
    except ValueError:
        raise BadRequest(
            N_("Nội dung JSON không đúng cú pháp."), extra={"code": "malformed_json"}
        ) from None
    try:
        return ReportCreate.model_validate(raw)
    except ValidationError as error:
        raise invalid(error) from None


async def photos_from_form(form: FormData, name: str = "photos") -> list[Photo]:
    photos = []
    for item in form.getlist(name):
        if isinstance(item, UploadFile):
            data = await item.read()
            if data:  # a browser sends an empty part when no file is chosen
                photos.append(Photo(data=data, name=item.filename))
    return photos


def report_filter(
    category: str | None,
    ward: int | None,
    status: list[ReportStatus] | None,
    since: str | None,
    until: str | None,
) -> ReportFilter:
    """Query filters; days (``YYYY-MM-DD``) are Ho Chi Minh days and ``until`` is inclusive."""

    def start_of(text: str) -> datetime:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValidationFailed(N_("Ngày không hợp lệ: {day}."), day=text) from None
        return datetime.combine(day, datetime.min.time(), tzinfo=VN_TZ)

    return ReportFilter(
        category=category,
        ward_code=ward,
        statuses=tuple(status or ()),
        since=start_of(since) if since else None,
        until=start_of(until) + timedelta(days=1) if until else None,
    )
