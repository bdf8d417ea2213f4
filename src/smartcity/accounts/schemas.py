"""Request and response shapes of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from smartcity.core.auth import CredentialKind
from smartcity.core.models import Role


class Credentials(BaseModel):
    """E-mail and password; ``username`` is accepted too, as in the OAuth2 password flow."""

    email: str = Field(
        min_length=1, max_length=254, validation_alias=AliasChoices("email", "username")
    )
    password: str = Field(min_length=1, max_length=256)


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the token expires.")
    expires_at: datetime


class AccountCreate(BaseModel):
    """A citizen's registration."""

    email: str = Field(max_length=254, examples=["nguyen.van.a@example.vn"])
    full_name: str = Field(max_length=200, examples=["Nguyễn Văn A"])
    password: str = Field(max_length=256, description="At least 10 characters, not the e-mail.")
    language: Literal["vi", "en"] = "vi"


class Account(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    role: Role
    agency_code: str | None
    ward_codes: list[int]
    hospital_code: str | None
    language: str
    created_at: datetime


class ApiKeyCreate(BaseModel):
    name: str = Field(max_length=200, examples=["Cổng cảm biến ngập Quận 7"])
    scopes: list[str] = Field(max_length=50, examples=[["flood:ingest"]])


class ApiKey(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[str]
    owner_id: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The full key, shown this once: store it now.")


class ApiKeyPage(BaseModel):
    items: list[ApiKey]
    total: int
    limit: int
    offset: int


class Me(BaseModel):
    """The caller: a signed-in account, or an API key and its scopes."""

    credential: CredentialKind
    account: Account | None
    api_key: ApiKey | None
    scopes: list[str]
