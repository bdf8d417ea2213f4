"""Errors of the roads module."""

from __future__ import annotations

from smartcity.core.errors import NotFound, SmartCityError, ValidationFailed
from smartcity.core.i18n import N_


class RoadImportFailed(SmartCityError):
    status = 422
    code = "road_import_failed"
    title = N_("Không nhập được mạng lưới đường")


class NoRoadNetwork(NotFound):
    code = "no_road_network"
    title = N_("Chưa có mạng lưới đường")


class AddressNotFound(NotFound):
    code = "address_not_found"
    title = N_("Không tìm thấy địa chỉ")


class QueryTooShort(ValidationFailed):
    code = "query_too_short"
    title = N_("Từ khoá tìm kiếm quá ngắn")
