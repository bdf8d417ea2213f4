"""Expected failures of the places module."""

from __future__ import annotations

from smartcity.core.errors import BadRequest, NotFound, ValidationFailed
from smartcity.core.i18n import N_


class WardNotFound(NotFound):
    code = "ward_not_found"
    title = N_("Không tìm thấy phường/xã")


class OutsideCity(NotFound):
    code = "outside_city"
    title = N_("Vị trí nằm ngoài Thành phố Hồ Chí Minh")


class AddressNotRecognised(ValidationFailed):
    code = "address_not_recognised"
    title = N_("Không nhận ra địa chỉ cũ")


class BoundaryImportFailed(BadRequest):
    code = "boundary_import_failed"
    title = N_("Không nhập được ranh giới phường/xã")


class BoundariesMissing(NotFound):
    code = "boundaries_missing"
    title = N_("Chưa có ranh giới phường/xã")
