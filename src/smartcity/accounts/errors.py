"""Expected failures of the accounts module."""

from __future__ import annotations

from smartcity.core.errors import BadRequest, Conflict, NotFound, ValidationFailed
from smartcity.core.i18n import N_


class EmailTaken(Conflict):
    code = "email_taken"
    title = N_("Email đã được đăng ký")


class AccountRejected(ValidationFailed):
    """A registration or account that breaks a rule (e-mail form, password length…)."""

    code = "account_invalid"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"


class ApiKeyCannotLogOut(BadRequest):
    code = "api_key_cannot_log_out"


class UnsupportedCredentialsFormat(BadRequest):
    code = "unsupported_credentials_format"
