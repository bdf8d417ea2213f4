"""One Jinja2 environment for every module's templates.

Templates live in ``smartcity/<module>/templates/<module>/...`` (the web shell's in
``smartcity/web/templates``) and extend ``base.html``.  Every render gets:
``request``, ``lang``, ``_`` (gettext for the request's language), ``csrf_token``,
``user`` (the signed-in user or None, filled by ``request.state.user``) and ``settings``.
Globals for every template: ``static_url(path)`` (cache-busting URL of a file under
``web/static``) and ``sections`` (the primary navigation, see ``web.navigation``).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from smartcity.config import get_settings
from smartcity.core.csrf import csrf_token
from smartcity.core.i18n import gettext, language_of
from smartcity.web.navigation import SECTIONS
from smartcity.web.notices import current_notices
from smartcity.web.static import static_url

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def _template_dirs() -> list[Path]:
    dirs = [PACKAGE_DIR / "web" / "templates"]
    dirs += sorted(p for p in PACKAGE_DIR.glob("*/templates") if p.parent.name != "web")
    return dirs


environment = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(d)) for d in _template_dirs()]),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals.update(static_url=static_url, sections=SECTIONS)
templates = Jinja2Templates(env=environment)


def context_for(request: Request) -> dict[str, Any]:
    language = language_of(request)
    return {
        "request": request,
        "lang": language,
        "_": partial(gettext, language=language),
        "csrf_token": csrf_token(request),
        "user": getattr(request.state, "user", None),
        "settings": get_settings(),
        "notices": current_notices(getattr(request.state, "db", None)),
    }


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    full_context = context_for(request)
    full_context.update(context or {})
    response = templates.TemplateResponse(
        request, template, full_context, status_code=status_code, headers=headers
    )
    response.headers.setdefault("content-language", full_context["lang"])
    return response
