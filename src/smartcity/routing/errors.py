"""Errors of the routing module."""

from __future__ import annotations

from smartcity.core.errors import NotFound, ValidationFailed
from smartcity.core.i18n import N_


class NoRoute(ValidationFailed):
    code = "no_route"
    title = N_("Không tìm được đường đi")


class PointOutsideCity(ValidationFailed):
    code = "point_outside_city"
    title = N_("Điểm nằm ngoài thành phố")


class PointNotOnNetwork(ValidationFailed):
    code = "point_not_on_network"
    title = N_("Điểm quá xa đường có thể đi")


class SameOriginDestination(ValidationFailed):
    code = "same_origin_destination"
    title = N_("Điểm đi và điểm đến trùng nhau")


class InvalidPolygon(ValidationFailed):
    code = "invalid_polygon"
    title = N_("Vùng cần tránh không hợp lệ")


class PolygonTooLarge(ValidationFailed):
    code = "polygon_too_large"
    title = N_("Vùng cần tránh quá lớn hoặc quá phức tạp")


class RoutingUnavailable(NotFound):
    code = "routing_unavailable"
    title = N_("Chưa có mạng lưới đường để tìm đường")
