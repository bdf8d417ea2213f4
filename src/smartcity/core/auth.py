"""Who is calling: passwords, login sessions, bearer tokens, API keys and the Principal.

* Passwords are hashed with argon2id and rehashed at login when the parameters change.
  An unknown account is checked against a dummy hash so timing does not reveal it.
* Login sessions (cookie ``session``) and bearer tokens are opaque random strings; only
  their SHA-256 is stored (``AuthToken``), so a database leak yields no usable token.
* API keys ``sc_<prefix>_<secret>`` identify machines: shown once, stored as the secret's
  SHA-256 under a public prefix, limited to scopes, revocable.
* Endpoints declare what they need with the ``Annotated`` aliases below.  Credentials are
  tried in order: ``Authorization: Bearer``, ``X-API-Key``, the session cookie.  A state
  change authenticated by the cookie must carry the CSRF token (``core.csrf``).
* Failed logins are counted per (account, client address): after
  ``login_max_failures`` the pair is locked for ``login_lockout_seconds``, doubling with
  each further failure up to ``login_lockout_max_seconds``; a success clears the count.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import APIKeyCookie, APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartcity.config import Environment, get_settings
from smartcity.core import audit, clock
from smartcity.core import auth_repository as repository
from smartcity.core.csrf import verify_csrf
from smartcity.core.errors import Forbidden, TooManyRequests, Unauthorized
from smartcity.core.http import SAFE_METHODS, SessionDep, keep_writes_on_error
from smartcity.core.i18n import N_
from smartcity.core.models import ApiKey, AuthToken, LoginThrottle, Role, User

SESSION_COOKIE = "session"
API_KEY_HEADER = "X-API-Key"
API_KEY_MARK = "sc_"
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
#: ``area:action``, e.g. ``traffic:ingest``.
SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$")
_API_KEY_PATTERN = re.compile(r"^sc_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- errors ---------------------------------------------------------------------------


def _bearer_challenge(error: str | None = None) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer error="{error}"' if error else "Bearer"}


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    title = N_("Sai thông tin đăng nhập")


class InvalidToken(Unauthorized):
    code = "invalid_token"
    title = N_("Thông tin xác thực không hợp lệ")


class LoginLocked(TooManyRequests):
    code = "login_locked"
    title = N_("Tạm khoá đăng nhập")


class MissingScopes(Forbidden):
    code = "insufficient_scope"


# --- passwords ------------------------------------------------------------------------

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; without a hash, spend the same time and say no."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    return len(email) <= 254 and _EMAIL_PATTERN.match(email) is not None


# --- tokens ---------------------------------------------------------------------------


class CredentialKind(enum.StrEnum):
    cookie = "cookie"
    bearer = "bearer"
    api_key = "api_key"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new session or bearer token; ``token`` exists only here, never in the database."""

    token: str
    kind: CredentialKind
    expires_at: datetime
    user: User


def issue_token(session: Session, user: User, kind: CredentialKind) -> IssuedToken:
    if kind is CredentialKind.api_key:
        raise ValueError("API keys are made by create_api_key")
    token = secrets.token_urlsafe(32)
    expires_at = clock.utcnow() + timedelta(days=get_settings().session_days)
    repository.add(
        session,
        AuthToken(
            token_hash=_sha256(token), kind=kind.value, user_id=user.id, expires_at=expires_at
        ),
    )
    return IssuedToken(token=token, kind=kind, expires_at=expires_at, user=user)


def revoke_token(session: Session, token: str) -> None:
    """Revoke a session or bearer token by its value (unknown values are ignored)."""
    row = repository.token_by_hash(session, _sha256(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.utcnow()
        session.flush()


def set_session_cookie(response: Response, issued: IssuedToken) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=get_settings().session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().env is Environment.production,
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().env is Environment.production,
    )


# --- API keys -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedApiKey:
    """A new API key; ``key`` is shown to its creator once and never stored."""

    key: str
    api_key: ApiKey


def create_api_key(
    session: Session, *, name: str, scopes: list[str], owner: User | None, actor: str
) -> IssuedApiKey:
    bad = [scope for scope in scopes if not SCOPE_PATTERN.match(scope)]
    if bad:
        raise ValueError(f"invalid scopes: {bad}")
    prefix = secrets.token_hex(6)
    while repository.api_key_prefix_taken(session, prefix):
        prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    api_key = ApiKey(
        prefix=prefix,
        secret_hash=_sha256(secret),
        name=name,
        scopes=sorted(set(scopes)),
        owner_id=owner.id if owner is not None else None,
    )
    repository.add(session, api_key)
    audit.record(
        session,
        actor=actor,
        action="auth.api_key_created",
        entity_type="api_key",
        entity_id=api_key.id,
        data={"name": name, "prefix": prefix, "scopes": api_key.scopes},
    )
    return IssuedApiKey(key=f"{API_KEY_MARK}{prefix}_{secret}", api_key=api_key)


def revoke_api_key(session: Session, api_key: ApiKey, *, actor: str) -> None:
    """Revoke a key now; revoking it again changes nothing."""
    if api_key.revoked_at is not None:
        return
    api_key.revoked_at = clock.utcnow()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="auth.api_key_revoked",
        entity_type="api_key",
        entity_id=api_key.id,
        data={"name": api_key.name, "prefix": api_key.prefix},
    )


def api_key_for(session: Session, presented: str) -> ApiKey | None:
    match = _API_KEY_PATTERN.match(presented)
    if match is None:
        return None
    prefix, secret = match.groups()
    api_key = repository.live_api_key(session, prefix)
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, _sha256(secret)):
        return None
    return api_key


# --- login and its throttle -----------------------------------------------------------


def _lock_seconds(failures: int) -> int:
    settings = get_settings()
    doublings = min(failures - settings.login_max_failures, 30)
    return int(
        min(settings.login_lockout_seconds * 2**doublings, settings.login_lockout_max_seconds)
    )


def _locked_error(locked_until: datetime, now: datetime) -> LoginLocked:
    seconds = max(1, math.ceil((locked_until - now).total_seconds()))
    return LoginLocked(
        N_("Đăng nhập sai quá nhiều lần. Hãy thử lại sau {seconds} giây."),
        seconds=seconds,
        headers={"Retry-After": str(seconds)},
    )


def _throttle_row(session: Session, email: str, client: str, now: datetime) -> LoginThrottle:
    row = repository.throttle(session, email=email, client=client, for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(email=email, client=client, failures=0, last_failure_at=now)
            repository.add(session, row)
        return row
    except IntegrityError:  # a concurrent failure created it first
        existing = repository.throttle(session, email=email, client=client, for_update=True)
        if existing is None:
            raise
        return existing


def _count_failure(session: Session, email: str, client: str, now: datetime) -> LoginThrottle:
    settings = get_settings()
    row = _throttle_row(session, email, client, now)
    quiet = now - row.last_failure_at > timedelta(seconds=settings.login_lockout_max_seconds)
    if quiet and (row.locked_until is None or row.locked_until <= now):
        row.failures = 0  # old failures are forgiven after a long quiet spell
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= settings.login_max_failures:
        row.locked_until = now + timedelta(seconds=_lock_seconds(row.failures))
    session.flush()
    return row


def client_address(request: Request) -> str:
    return (request.client.host if request.client else "unknown")[:64]


def login(
    session: Session, *, email: str, password: str, client: str, kind: CredentialKind
) -> IssuedToken:
    """Check a password under the throttle and open a session or bearer token.

    Raises ``LoginLocked`` (429, with Retry-After) while the account is locked for this
    client, ``InvalidCredentials`` (401) otherwise.  Failures are kept even though the
    request fails, or counting them would be pointless.
    """
    email = normalize_email(email)
    now = clock.utcnow()
    throttle = repository.throttle(session, email=email, client=client, for_update=False)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        raise _locked_error(throttle.locked_until, now)

    user = repository.user_by_email(session, email)
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        reason = "unknown_account" if user is None else "inactive" if password_ok else "password"
        keep_writes_on_error(session)
        throttle = _count_failure(session, email, client, now)
        audit.record(
            session,
            actor="anonymous",
            action="auth.login_failed",
            entity_type="user",
            entity_id=user.id if user is not None else "-",
            data={
                "email": email,
                "client": client,
                "reason": reason,
                "failures": throttle.failures,
            },
        )
        if throttle.locked_until is not None and throttle.locked_until > now:
            raise _locked_error(throttle.locked_until, now)
        raise InvalidCredentials(N_("Email hoặc mật khẩu không đúng."), headers=_bearer_challenge())

    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    repository.clear_throttle(session, email=email, client=client)
    issued = issue_token(session, user, kind)
    audit.record(
        session,
        actor=f"user:{user.id}",
        action="auth.login",
        entity_type="user",
        entity_id=user.id,
        data={"client": client, "via": kind.value},
    )
    return issued


# --- the principal --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Principal:
    """The caller: a signed-in user or an API key, with what it may do."""

    credential: CredentialKind
    user: User | None = None
    api_key: ApiKey | None = None
    token: AuthToken | None = None

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user is not None else None

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.api_key.scopes) if self.api_key is not None else frozenset()

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        if self.api_key is not None:
            return f"api_key:{self.api_key.prefix}"
        assert self.user is not None
        return f"user:{self.user.id}"

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin

    def has_role(self, *roles: Role) -> bool:
        return self.role is not None and self.role in roles

    def has_scopes(self, *needed: str) -> bool:
        """API keys need every scope; an administrator's own login holds all of them."""
        return self.is_admin or set(needed) <= self.scopes

    def can_act_on_ward(self, code: int | str) -> bool:
        """Administrators act anywhere; officers only on their own wards."""
        if self.is_admin:
            return True
        if self.user is None or self.role is not Role.officer:
            return False
        try:
            return int(code) in set(self.user.ward_codes)
        except (TypeError, ValueError):
            return False

    def can_act_for_agency(self, agency_code: str) -> bool:
        if self.is_admin:
            return True
        return (
            self.user is not None
            and self.role is Role.officer
            and self.user.agency_code is not None
            and self.user.agency_code == agency_code
        )

    def can_open_hospital_records(self, hospital_code: str) -> bool:
        """Health records are for the clinicians of that hospital only, not administrators."""
        return (
            self.user is not None
            and self.role is Role.clinician
            and self.user.hospital_code is not None
            and self.user.hospital_code == hospital_code
        )


# Security schemes: they read the credentials and describe them in the OpenAPI document.
_bearer_scheme = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
_api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)
_cookie_scheme = APIKeyCookie(name=SESSION_COOKIE, auto_error=False)


def _invalid_token() -> InvalidToken:
    return InvalidToken(
        N_("Mã truy cập hoặc khoá API không hợp lệ, đã hết hạn hoặc đã bị thu hồi."),
        headers=_bearer_challenge("invalid_token"),
    )


def _principal_for_token(session: Session, value: str, kind: CredentialKind) -> Principal | None:
    found = repository.live_token(
        session, token_hash=_sha256(value), kind=kind.value, now=clock.utcnow()
    )
    if found is None:
        return None
    token, user = found
    return Principal(credential=kind, user=user, token=token)


def _principal_for_api_key(session: Session, request: Request, value: str) -> Principal | None:
    api_key = api_key_for(session, value)
    if api_key is None:
        return None
    if request.method not in SAFE_METHODS:
        # Only when the request writes anyway: a read must not take SQLite's write lock.
        api_key.last_used_at = clock.utcnow()
    return Principal(credential=CredentialKind.api_key, api_key=api_key)


def _resolve_principal(
    request: Request,
    session: SessionDep,
    bearer: Annotated[str | None, Depends(_bearer_scheme)],
    api_key: Annotated[str | None, Depends(_api_key_scheme)],
    cookie: Annotated[str | None, Depends(_cookie_scheme)],
) -> Principal | None:
    principal: Principal | None = None
    if bearer:
        principal = (
            _principal_for_api_key(session, request, bearer)
            if bearer.startswith(API_KEY_MARK)
            else _principal_for_token(session, bearer, CredentialKind.bearer)
        )
        if principal is None:
            raise _invalid_token()
    elif api_key:
        principal = _principal_for_api_key(session, request, api_key)
        if principal is None:
            raise _invalid_token()
    elif cookie:
        # A stale cookie is not an error: the visitor is simply signed out.
        principal = _principal_for_token(session, cookie, CredentialKind.cookie)
    request.state.principal = principal
    request.state.user = principal.user if principal is not None else None
    return principal


async def optional_principal(
    request: Request,
    principal: Annotated[Principal | None, Depends(_resolve_principal)],
) -> Principal | None:
    """The caller or None; also usable router-wide so every page knows its user:
    ``api_router(dependencies=[Depends(optional_principal)])``."""
    if (
        principal is not None
        and principal.credential is CredentialKind.cookie
        and request.method not in SAFE_METHODS
    ):
        await verify_csrf(request)
    return principal


async def _current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthorized(
            N_("Hãy đăng nhập hoặc gửi kèm mã truy cập hay khoá API."),
            headers=_bearer_challenge(),
        )
    return principal


#: The caller if any credential came along (a stale session cookie counts as none).
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
#: The caller; 401 with ``WWW-Authenticate: Bearer`` when there is none.
CurrentPrincipal = Annotated[Principal, Depends(_current_principal)]


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def declare_optional_auth(app: FastAPI) -> None:
    """In the OpenAPI document, an operation that also serves anonymous callers (it depends
    on :func:`optional_principal` but never on a required principal) lists the empty
    security requirement ``{}`` beside the schemes; otherwise clients and contract checks
    take its credentials for mandatory."""
    optional: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):  # included routers, with their prefixes
        route = context.original_route
        if isinstance(route, APIRoute) and context.path_format:
            calls = set(_calls(route.dependant))
            if optional_principal in calls and _current_principal not in calls:
                optional.update((context.path_format, m.lower()) for m in route.methods or ())
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for path, operations in document.get("paths", {}).items():
                for method, operation in operations.items():
                    security = operation.get("security")
                    if (path, method) in optional and security and {} not in security:
                        operation["security"] = [{}, *security]
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def require_roles(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting users with one of ``roles``:
    ``Admin = Annotated[Principal, Depends(require_roles(Role.admin))]``."""
    if not roles:
        raise ValueError("require_roles needs at least one role")

    async def principal_with_role(principal: CurrentPrincipal) -> Principal:
        if not principal.has_role(*roles):
            raise Forbidden(N_("Tài khoản của bạn không có quyền làm việc này."))
        return principal

    return principal_with_role


def require_scopes(*scopes: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting API keys holding every one of ``scopes`` (and administrators)."""
    bad = [scope for scope in scopes if not SCOPE_PATTERN.match(scope)]
    if not scopes or bad:
        raise ValueError(f"require_scopes needs valid scopes, got {scopes!r}")

    challenge = f'Bearer error="insufficient_scope", scope="{" ".join(scopes)}"'

    async def principal_with_scopes(principal: CurrentPrincipal) -> Principal:
        if not principal.has_scopes(*scopes):
            raise MissingScopes(
                N_("Thiếu quyền truy cập: {scopes}."),
                scopes=", ".join(sorted(set(scopes) - principal.scopes)),
                headers={"WWW-Authenticate": challenge},
            )
        return principal

    return principal_with_scopes
