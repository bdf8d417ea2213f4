"""Errors of the traffic module."""

from __future__ import annotations

from smartcity.core.errors import NotFound, SmartCityError
from smartcity.core.i18n import N_


class CameraNotFound(NotFound):
    code = "camera_not_found"
    title = N_("Không tìm thấy camera")


class IncidentNotFound(NotFound):
    code = "incident_not_found"
    title = N_("Không tìm thấy sự cố giao thông")


class SegmentNotFound(NotFound):
    code = "segment_not_found"
    title = N_("Không tìm thấy đoạn đường")


class TrafficImportFailed(SmartCityError):
    status = 422
    code = "traffic_import_failed"
    title = N_("Không nhập được dữ liệu giao thông")


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    title = N_("Không tìm thấy lộ trình, địa điểm đã lưu")


class SubscriptionRejected(SmartCityError):
    status = 422
    code = "subscription_rejected"
    title = N_("Không lưu được lộ trình, địa điểm")


class PushNotConfigured(SmartCityError):
    status = 409
    code = "push_not_configured"
    title = N_("Thông báo đẩy chưa được bật trên máy chủ")


class PushSubscriptionRejected(SmartCityError):
    status = 422
    code = "push_subscription_rejected"
    title = N_("Không đăng ký nhận thông báo đẩy được")


class PushSubscriptionNotFound(NotFound):
    code = "push_subscription_not_found"
    title = N_("Không tìm thấy đăng ký nhận thông báo đẩy")
