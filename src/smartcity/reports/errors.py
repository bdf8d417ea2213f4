"""Expected failures of the reports module."""

from __future__ import annotations

from smartcity.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from smartcity.core.i18n import N_


class ReportNotFound(NotFound):
    code = "report_not_found"
    title = N_("Không tìm thấy phản ánh")


class CategoryNotFound(ValidationFailed):
    code = "category_not_found"
    title = N_("Không có lĩnh vực phản ánh này")


class LocationRequired(ValidationFailed):
    code = "location_required"
    title = N_("Cần vị trí của sự việc")


class OutsideCityLocation(ValidationFailed):
    code = "outside_city"
    title = N_("Vị trí nằm ngoài Thành phố Hồ Chí Minh")


class TooManyPhotos(ValidationFailed):
    code = "too_many_photos"
    title = N_("Quá nhiều ảnh")


class NotYourReport(Forbidden):
    code = "not_your_report"
    title = N_("Không phải phản ánh của bạn")


class OutsideOfficerScope(Forbidden):
    code = "outside_officer_scope"
    title = N_("Phản ánh không thuộc đơn vị hoặc phường của bạn")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = N_("Không thể làm việc này ở trạng thái hiện tại")


class ActionIncomplete(ValidationFailed):
    code = "action_incomplete"
    title = N_("Thiếu thông tin cho thao tác")
