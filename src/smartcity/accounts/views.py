"""HTML pages: sign in, register, sign out (cookie sessions, CSRF-protected forms)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from smartcity.accounts.errors import AccountRejected, EmailTaken
from smartcity.accounts.service import accounts
from smartcity.core.auth import (
    SESSION_COOKIE,
    CredentialKind,
    InvalidCredentials,
    IssuedToken,
    LoginLocked,
    OptionalPrincipal,
    clear_session_cookie,
    client_address,
    set_session_cookie,
)
from smartcity.core.csrf import CSRF_COOKIE, verify_csrf
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_, gettext, language_of
from smartcity.web.templating import render

router = api_router(tags=["pages"], include_in_schema=False)

HOME = "/"
_MAX_NEXT_LENGTH = 2000

NextQuery = Annotated[str | None, Query(alias="next")]
NextField = Annotated[str, Form(alias="next")]


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the home page (no open redirects)."""
    if not target or len(target) > _MAX_NEXT_LENGTH:
        return HOME
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target


def _signed_in(target: str, issued: IssuedToken) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, issued)
    # A new CSRF secret with each new session: a token planted before login is worthless.
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, _principal: OptionalPrincipal, next_url: NextQuery = None
) -> Response:
    return render(request, "accounts/login.html", {"next": safe_next(next_url), "email": ""})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login_submit(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_url: NextField = HOME,
) -> Response:
    target = safe_next(next_url)
    language = language_of(request)
    page = {"next": target, "email": email[:254]}
    if not email.strip() or not password:
        error = gettext(N_("Hãy nhập email và mật khẩu."), language)
        return render(request, "accounts/login.html", {**page, "error": error}, status_code=422)
    try:
        issued = accounts.login(
            session,
            email=email,
            password=password,
            client=client_address(request),
            kind=CredentialKind.cookie,
        )
    except (InvalidCredentials, LoginLocked) as failure:
        retry = {k: v for k, v in failure.headers.items() if k == "Retry-After"}
        return render(
            request,
            "accounts/login.html",
            {**page, "error": failure.detail(language)},
            status_code=failure.status,
            headers=retry,
        )
    accounts.end_cookie_session(session, token=request.cookies.get(SESSION_COOKIE))
    return _signed_in(target, issued)


@router.get("/register", response_class=HTMLResponse)
def register_page(
    request: Request, _principal: OptionalPrincipal, next_url: NextQuery = None
) -> Response:
    return render(
        request,
        "accounts/register.html",
        {"next": safe_next(next_url), "email": "", "full_name": ""},
    )


@router.post("/register", dependencies=[Depends(verify_csrf)])
def register_submit(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    password_confirm: Annotated[str, Form()] = "",
    next_url: NextField = HOME,
) -> Response:
    target = safe_next(next_url)
    language = language_of(request)
    page = {"next": target, "email": email[:254], "full_name": full_name[:200]}
    if password != password_confirm:
        error = gettext(N_("Hai lần nhập mật khẩu không khớp."), language)
        return render(request, "accounts/register.html", {**page, "error": error}, status_code=422)
    try:
        user = accounts.register(
            session, email=email, full_name=full_name, password=password, language=language
        )
    except (AccountRejected, EmailTaken) as failure:
        return render(
            request,
            "accounts/register.html",
            {**page, "error": failure.detail(language)},
            status_code=failure.status,
        )
    accounts.end_cookie_session(session, token=request.cookies.get(SESSION_COOKIE))
    return _signed_in(target, accounts.start_session(session, user=user))


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout_submit(request: Request, session: SessionDep, next_url: NextField = HOME) -> Response:
    accounts.end_cookie_session(session, token=request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(safe_next(next_url), status_code=303)
    clear_session_cookie(response)
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
