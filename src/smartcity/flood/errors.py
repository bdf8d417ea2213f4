"""Flood errors (Vietnamese msgids; English in messages.po)."""

from __future__ import annotations

from smartcity.core.errors import NotFound, SmartCityError, ValidationFailed
from smartcity.core.i18n import N_


class EntityNotFound(NotFound):
    code = "flood_entity_not_found"
    title = N_("Không tìm thấy đối tượng")


class ImpossibleValue(ValidationFailed):
    """A reading no sensor could make (negative rain, 20 m of water, a future time)."""

    code = "impossible_observation"
    title = N_("Giá trị đo không thể xảy ra")


class UnknownDatastream(ValidationFailed):
    code = "unknown_datastream"
    title = N_("Không có luồng dữ liệu này")


class BadEntity(ValidationFailed):
    code = "bad_sensorthings_entity"
    title = N_("Dữ liệu SensorThings không hợp lệ")


class BadQuery(SmartCityError):
    code = "bad_sensorthings_query"
    title = N_("Truy vấn SensorThings không hợp lệ")


class FarFromStreet(ValidationFailed):
    code = "far_from_street"
    title = N_("Vị trí không gần con đường nào")


class HotspotImportFailed(SmartCityError):
    code = "flood_hotspot_import_failed"
    title = N_("Không nhập được danh sách điểm ngập")
