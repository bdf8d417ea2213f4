"""Render every error as problem+json for machines or as a page for people."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Route

from smartcity.core.errors import (
    PROBLEM_JSON,
    BadRequest,
    Forbidden,
    NotFound,
    SmartCityError,
    ValidationFailed,
)
from smartcity.core.i18n import N_, language_of

log = logging.getLogger(__name__)

#: Paths that always answer in a machine format, whatever the Accept header says.
MACHINE_PREFIXES = ("/api/", "/open311/", "/fhir/", "/tiles/", "/files/", "/healthz", "/readyz")

HtmlRenderer = Callable[[Request, SmartCityError], Response]


class MethodNotAllowed(SmartCityError):
    status = 405
    code = "method_not_allowed"
    title = N_("Phương thức không được hỗ trợ")


class InternalError(SmartCityError):
    status = 500
    code = "internal_error"
    title = N_("Lỗi hệ thống")


def wants_html(request: Request) -> bool:
    if request.url.path.startswith(MACHINE_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def _field_errors(exc: RequestValidationError, language: str) -> list[dict[str, Any]]:
    fields = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        fields.append(
            {
                "field": ".".join(location[1:]) if len(location) > 1 else ".".join(location),
                "in": location[0] if location else "body",
                "message": error.get("msg", ""),
                "type": error.get("type", ""),
            }
        )
    return fields


def _all_routes(routes: Iterable[BaseRoute]) -> Iterator[Route]:
    """Routes of the app, looking inside included routers (FastAPI includes them lazily)."""
    for route in routes:
        if isinstance(route, Route):
            yield route
        elif (inner := getattr(route, "original_router", None)) is not None:
            yield from _all_routes(inner.routes)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves on this path (a partial match is a path match)."""
    methods: set[str] = set()
    for route in _all_routes(request.app.router.routes):
        if route.methods:
            match, _ = route.matches(request.scope)
            if match is not Match.NONE:
                methods.update(route.methods)
    return sorted(methods)


def install_error_handlers(app: FastAPI, render_html: HtmlRenderer | None = None) -> None:
    def respond(request: Request, error: SmartCityError) -> Response:
        if render_html is not None and wants_html(request):
            return render_html(request, error)
        headers = dict(error.headers)
        headers["content-language"] = language_of(request)
        return ProblemResponse(
            error.problem(language_of(request), request.url.path),
            status_code=error.status,
            headers=headers,
        )

    @app.exception_handler(SmartCityError)
    async def handle_domain_error(request: Request, exc: SmartCityError) -> Response:
        return respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def handle_validation(request: Request, exc: RequestValidationError) -> Response:
        language = language_of(request)
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return respond(
                request,
                BadRequest(
                    N_("Nội dung JSON không đúng cú pháp."), extra={"code": "malformed_json"}
                ),
            )
        fields = _field_errors(exc, language)
        summary = "; ".join(f"{f['field'] or f['in']}: {f['message']}" for f in fields[:5])
        error = ValidationFailed(
            N_("Dữ liệu không hợp lệ: {summary}"), summary=summary, extra={"errors": fields}
        )
        return respond(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def handle_http(request: Request, exc: StarletteHTTPException) -> Response:
        error: SmartCityError
        if exc.status_code == 404:
            error = NotFound(N_("Không có trang hoặc tài nguyên này."))
        elif exc.status_code == 405:
            error = MethodNotAllowed(
                N_("Phương thức {method} không dùng được ở đây."), method=request.method
            )
            # Several routes may share the path (GET list, POST create): allow them all.
            allowed = _allowed_methods(request)
            if allowed:
                error.headers["Allow"] = ", ".join(allowed)
        elif exc.status_code == 403:
            error = Forbidden()
        else:
            error = SmartCityError(str(exc.detail))
            error.status = exc.status_code  # type: ignore[misc]
        for name, value in (exc.headers or {}).items():
            error.headers.setdefault(name, value)
        return respond(request, error)

    @app.exception_handler(DataError)
    async def handle_data_error(request: Request, exc: DataError) -> Response:
        # PostgreSQL refuses NUL in text, wherever it came from (body, query, path, form):
        # the request's transaction is rolled back, the caller is told what is wrong
        if "NUL" in str(exc.orig):
            return respond(request, ValidationFailed(N_("Văn bản không được chứa ký tự NUL.")))
        return await handle_unexpected(request, exc)

    @app.exception_handler(Exception)
    async def handle_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(
            request,
            InternalError(N_("Đã có lỗi ngoài dự kiến; chúng tôi đã ghi lại để xử lý.")),
        )
