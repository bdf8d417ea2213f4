"""CSRF protection by signed double submit.

Every browser gets a random ``csrf`` cookie (SameSite=Lax).  Pages embed
``csrf_token(request)`` = HMAC(secret key, cookie) in forms (field ``csrf_token``) and in a
``<meta name="csrf-token">`` that HTMX sends as the ``X-CSRF-Token`` header.  A state
change authenticated by a cookie must present a token matching the cookie: another site
can make the browser send the cookie, but cannot read it nor compute the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smartcity.config import get_settings
from smartcity.core.errors import CsrfFailed
from smartcity.core.i18n import N_

CSRF_COOKIE = "csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
_SCOPE_KEY = "smartcity.csrf_cookie"


def _sign(cookie_value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf:{cookie_value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(connection: HTTPConnection) -> str:
    """The token to embed in this client's forms."""
    cookie_value = connection.scope.get(_SCOPE_KEY) or connection.cookies.get(CSRF_COOKIE)
    if not cookie_value:
        raise RuntimeError("CsrfCookieMiddleware is not installed")
    return _sign(str(cookie_value))


async def submitted_token(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def verify_csrf(request: Request) -> None:
    """Raise CsrfFailed unless the request carries the token matching its cookie."""
    cookie_value = request.cookies.get(CSRF_COOKIE)
    token = await submitted_token(request)
    if not cookie_value or not token or not hmac.compare_digest(token, _sign(cookie_value)):
        raise CsrfFailed(
            N_(
                "Biểu mẫu đã hết hạn hoặc không đến từ trang của chúng tôi. Hãy tải lại trang và thử lại."
            )
        )


class CsrfCookieMiddleware:
    """Give every browser a CSRF cookie on its first request."""

    def __init__(self, app: ASGIApp, *, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if CSRF_COOKIE in HTTPConnection(scope).cookies:
            await self.app(scope, receive, send)
            return
        fresh = secrets.token_urlsafe(32)
        scope[_SCOPE_KEY] = fresh
        cookie = f"{CSRF_COOKIE}={fresh}; Path=/; SameSite=Lax; HttpOnly"
        if self.secure:
            cookie += "; Secure"

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)
