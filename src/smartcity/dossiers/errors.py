"""Errors of the public-services module (messages are Vietnamese msgids)."""

from __future__ import annotations

from smartcity.core.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from smartcity.core.i18n import N_


class ProcedureNotFound(NotFound):
    code = "procedure_not_found"
    title = N_("Không tìm thấy thủ tục")


class DossierNotFound(NotFound):
    code = "dossier_not_found"
    title = N_("Không tìm thấy hồ sơ")


class ResultNotFound(NotFound):
    code = "result_not_found"
    title = N_("Không tìm thấy kết quả điện tử")


class InvalidDossier(ValidationFailed):
    code = "invalid_dossier"
    title = N_("Hồ sơ chưa hợp lệ")


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = N_("Thao tác không được phép ở trạng thái hiện tại")


class NotYourUnit(Forbidden):
    code = "not_your_unit"
    title = N_("Hồ sơ không thuộc đơn vị của bạn")


class NotYourDossier(Forbidden):
    code = "not_your_dossier"
    title = N_("Đây không phải hồ sơ của bạn")


class WebhookRejected(Unauthorized):
    code = "webhook_rejected"
    title = N_("Thông báo thanh toán không hợp lệ")


class WebhookReplayed(Conflict):
    code = "webhook_replayed"
    title = N_("Thông báo thanh toán đã được xử lý")


class AlreadyPaid(Conflict):
    code = "already_paid"
    title = N_("Hồ sơ đã được thanh toán")


class NoFeeDue(Conflict):
    code = "no_fee_due"
    title = N_("Hồ sơ không có phí cần thanh toán")
