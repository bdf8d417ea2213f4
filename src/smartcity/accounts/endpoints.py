"""JSON API under ``/api/v1/auth``: tokens, registration, the caller, API keys."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from smartcity.accounts.auth import AdminPrincipal
from smartcity.accounts.errors import UnsupportedCredentialsFormat
from smartcity.accounts.schemas import (
    Account,
    AccountCreate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPage,
    Credentials,
    Me,
    Token,
)
from smartcity.accounts.service import accounts
from smartcity.core.auth import (
    CredentialKind,
    CurrentPrincipal,
    clear_session_cookie,
    client_address,
)
from smartcity.core.errors import BadRequest
from smartcity.core.http import SessionDep, api_router
from smartcity.core.i18n import N_
from smartcity.core.schemas import MAX_ID, EntityId

router = api_router(prefix="/api/v1/auth", tags=["auth"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_CREDENTIALS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["password"]},
                        "username": {"type": "string", "description": "The account's e-mail."},
                        "password": {"type": "string", "format": "password"},
                    },
                }
            },
            "application/json": {"schema": Credentials.model_json_schema()},
        },
    }
}


def _invalid_body(error: ValidationError) -> RequestValidationError:
    return RequestValidationError(
        [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
    )


async def read_credentials(request: Request) -> Credentials:
    """Credentials from an OAuth2 password form or from a JSON body."""
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    raw: object
    if content_type in _FORM_TYPES:
        form = await request.form()
        grant_type = form.get("grant_type")
        if grant_type not in (None, "", "password"):
            raise BadRequest(
                N_("Chỉ hỗ trợ grant_type=password."), extra={"code": "unsupported_grant_type"}
            )
        raw = {k: v for k in ("username", "email", "password") if isinstance(v := form.get(k), str)}
    elif content_type == "application/json" or content_type.endswith("+json"):
        try:
            raw = json.loads(await request.body())
        except ValueError:
            raise BadRequest(
                N_("Nội dung JSON không đúng cú pháp."), extra={"code": "malformed_json"}
            ) from None
    else:
        raise UnsupportedCredentialsFormat(
            N_("Gửi email và mật khẩu dưới dạng biểu mẫu OAuth2 hoặc JSON.")
        )
    try:
        return Credentials.model_validate(raw)
    except ValidationError as error:
        raise _invalid_body(error) from None


@router.post(
    "/token",
    summary="Exchange e-mail and password for a bearer token",
    openapi_extra=_CREDENTIALS_BODY,
    responses={401: _PROBLEM, 429: _PROBLEM},
)
def issue_token(
    request: Request,
    response: Response,
    session: SessionDep,
    credentials: Annotated[Credentials, Depends(read_credentials)],
) -> Token:
    response.headers["cache-control"] = "no-store"
    return accounts.issue_bearer_token(
        session, credentials=credentials, client=client_address(request)
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke the token or session used for this request",
    responses={400: _PROBLEM, 401: _PROBLEM},
)
def logout(session: SessionDep, principal: CurrentPrincipal) -> Response:
    accounts.logout(session, principal=principal)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    if principal.credential is CredentialKind.cookie:
        clear_session_cookie(response)
    return response


@router.get("/me", summary="Who is calling", responses={401: _PROBLEM})
def me(principal: CurrentPrincipal) -> Me:
    return accounts.me(principal)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    summary="Create a citizen account",
    responses={409: _PROBLEM, 422: _PROBLEM},
)
def register(session: SessionDep, data: AccountCreate) -> Account:
    user = accounts.register(
        session,
        email=data.email,
        full_name=data.full_name,
        password=data.password,
        language=data.language,
    )
    return Account.model_validate(user)


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key (the key is returned this once)",
    responses={401: _PROBLEM, 403: _PROBLEM, 422: _PROBLEM},
)
def create_api_key(
    response: Response, session: SessionDep, admin: AdminPrincipal, data: ApiKeyCreate
) -> ApiKeyCreated:
    response.headers["cache-control"] = "no-store"
    return accounts.create_api_key(session, data=data, creator=admin)


@router.get(
    "/api-keys",
    summary="List API keys (never their secrets)",
    responses={401: _PROBLEM, 403: _PROBLEM},
)
def list_api_keys(
    session: SessionDep,
    _admin: AdminPrincipal,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> ApiKeyPage:
    return accounts.list_api_keys(session, limit=limit, offset=offset)


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key",
    responses={401: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM},
)
def revoke_api_key(session: SessionDep, admin: AdminPrincipal, key_id: EntityId) -> Response:
    accounts.revoke_api_key(session, key_id=key_id, revoker=admin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
