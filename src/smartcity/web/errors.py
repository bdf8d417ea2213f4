"""Friendly error pages for people (the API keeps answering problem+json)."""

from __future__ import annotations

import html
import logging

from fastapi import Request, Response
from starlette.responses import HTMLResponse

from smartcity.core.errors import SmartCityError
from smartcity.core.i18n import gettext, language_of
from smartcity.web.templating import render

log = logging.getLogger(__name__)

#: Headers worth keeping from the error (e.g. ``Retry-After``, ``WWW-Authenticate``, ``Allow``).
_FORWARDED = frozenset({"retry-after", "www-authenticate", "allow"})


def render_error_page(request: Request, error: SmartCityError) -> Response:
    """The error as a page in the visitor's language, or as a toast for an HTMX request."""
    headers = {k: v for k, v in error.headers.items() if k.lower() in _FORWARDED}
    context = {"error": error, "status": error.status, "code": error.code}
    try:
        if request.headers.get("hx-request") == "true":
            headers.update({"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"})
            return render(
                request, "partials/toast.html", context, status_code=error.status, headers=headers
            )
        return render(request, "error.html", context, status_code=error.status, headers=headers)
    except Exception:
        # The layout itself failed (e.g. outside the middleware stack): still answer politely.
        log.exception("error page could not be rendered")
        language = language_of(request)
        title = gettext(error.title, language)
        body = f'<!doctype html><html lang="{language}"><title>{error.status}</title><h1>{html.escape(title)}</h1>'
        return HTMLResponse(body, status_code=error.status, headers=headers)
