"""One error hierarchy, rendered as RFC 9457 problem documents for the API and as a
friendly page for the web (see ``smartcity.web``).

Messages are Vietnamese msgids translated per request (see ``core.i18n``); ``params``
are substituted after translation, so translators see ``{name}`` placeholders.
"""

from __future__ import annotations

from typing import Any, ClassVar

from smartcity.core.i18n import N_, gettext

PROBLEM_JSON = "application/problem+json"


class SmartCityError(Exception):
    """Base of every expected failure; never a 500."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = N_("Yêu cầu không hợp lệ")

    def __init__(
        self,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        **params: object,
    ) -> None:
        self.message = message or self.title
        self.params = params
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(self.message.format(**params) if params else self.message)

    def detail(self, language: str) -> str:
        return gettext(self.message, language, **self.params)

    def problem(self, language: str, instance: str | None = None) -> dict[str, Any]:
        document: dict[str, Any] = {
            "type": f"/problems/{self.code}",
            "title": gettext(self.title, language),
            "status": self.status,
            "detail": self.detail(language),
            "code": self.code,
        }
        if instance:
            document["instance"] = instance
        document.update(self.extra)
        return document


class BadRequest(SmartCityError):
    pass


class ValidationFailed(SmartCityError):
    status = 422
    code = "validation_error"
    title = N_("Dữ liệu không hợp lệ")


class Unauthorized(SmartCityError):
    status = 401
    code = "unauthorized"
    title = N_("Cần đăng nhập")


class Forbidden(SmartCityError):
    status = 403
    code = "forbidden"
    title = N_("Không có quyền")


class NotFound(SmartCityError):
    status = 404
    code = "not_found"
    title = N_("Không tìm thấy")


class Conflict(SmartCityError):
    status = 409
    code = "conflict"
    title = N_("Xung đột với trạng thái hiện tại")


class PayloadTooLarge(SmartCityError):
    status = 413
    code = "payload_too_large"
    title = N_("Dữ liệu gửi lên quá lớn")


class UnsupportedMediaType(SmartCityError):
    status = 415
    code = "unsupported_media_type"
    title = N_("Loại tệp không được hỗ trợ")


class TooManyRequests(SmartCityError):
    status = 429
    code = "too_many_requests"
    title = N_("Quá nhiều yêu cầu")


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    title = N_("Phiên biểu mẫu không hợp lệ")
