"""Shared API schemas: problem documents, pagination, coordinates."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from smartcity.core.errors import PROBLEM_JSON

#: Vietnam's extent with a margin (mainland and islands); points outside are rejected early.
VIETNAM_BBOX = (102.0, 8.0, 117.5, 23.5)

Longitude = Annotated[
    float, Field(ge=VIETNAM_BBOX[0], le=VIETNAM_BBOX[2], description="WGS84 longitude in Vietnam")
]
Latitude = Annotated[
    float, Field(ge=VIETNAM_BBOX[1], le=VIETNAM_BBOX[3], description="WGS84 latitude in Vietnam")
]


#: A database id in a path: bounded so a huge number is a 422, not a database overflow.
MAX_ID = 2**31 - 1
EntityId = Annotated[int, Path(ge=1, le=MAX_ID, description="Identifier")]


def _iso_date_only(value: object) -> object:
    # Pydantic reads "0.0" or "1700000000" as Unix timestamps; a date in a URL must be a date.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: A calendar date given as YYYY-MM-DD (query parameters, filters).
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class FieldError(BaseModel):
    field: str
    # "in" is a Python keyword: exposed under its JSON name only.
    in_: str = Field(alias="in")
    message: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, with a stable machine-readable ``code``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=["/problems/not_found"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "model": Problem,
    }


#: Error responses every API operation may give, documented once for all routers.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem_response("Bad request"),
    401: _problem_response("Authentication required"),
    403: _problem_response("Forbidden"),
    404: _problem_response("Not found"),
    409: _problem_response("Conflict"),
    413: _problem_response("Payload too large"),
    415: _problem_response("Unsupported media type"),
    422: _problem_response("Validation error"),
    429: _problem_response("Too many requests"),
}


class Page[T](BaseModel):
    items: list[T]
    total: int | None = Field(None, description="Total matches, when cheap to count")
    limit: int
    offset: int
