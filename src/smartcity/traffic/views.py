"""The traffic page: four tabs (map, alerts, cameras, reports) over the traffic JSON API and
its server-sent events.  Everything the script needs comes in one JSON data block."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from smartcity.config import get_settings
from smartcity.core.auth import OptionalPrincipal
from smartcity.core.http import api_router
from smartcity.core.i18n import N_, gettext, language_of
from smartcity.core.models import Role
from smartcity.traffic.push import push
from smartcity.web.templating import render

router = api_router(tags=["pages"], include_in_schema=False)

#: The route planner (routing module) with jams avoided; its script mounts into
#: ``#route-planner[data-route-planner]`` on this page when it is there.
PLANNER_URL = "/routes?avoid=jams"

MESSAGES = {
    "live": N_("Trực tiếp"),
    "offline": N_("Mất kết nối, đang thử lại…"),
    "jam": N_("Kẹt xe"),
    "incident": N_("Sự cố"),
    "closure": N_("Cấm đường"),
    "flood": N_("Ngập nước"),
    "heavy": N_("ùn ứ"),
    "standstill": N_("kẹt cứng"),
    "closed": N_("đường cấm"),
    "shallow": N_("ngập nhẹ"),
    "deep": N_("ngập sâu"),
    "accident": N_("tai nạn"),
    "roadworks": N_("thi công"),
    "broken_signal": N_("đèn tín hiệu hỏng"),
    "obstruction": N_("vật cản"),
    "event": N_("sự kiện"),
    "cleared": N_("đã hết"),
    "unnamed_road": N_("đường không tên"),
    "since": N_("từ {time}"),
    "speed": N_("{speed} km/h"),
    "length": N_("{km} km"),
    "route": N_("Lộ trình"),
    "place": N_("Địa điểm"),
    "always": N_("mọi lúc"),
    "weekdays": N_("thứ Hai – thứ Sáu"),
    "delete": N_("Xoá"),
    "points": N_("{count} điểm đã chọn"),
    "need_points": N_("Hãy chạm lên bản đồ ít nhất một điểm."),
    "saved": N_("Đã lưu. Cảnh báo trên lộ trình này sẽ hiện ở đây."),
    "save_failed": N_("Không lưu được: {reason}"),
    "near_none": N_("Không có cảnh báo nào trong bán kính {km} km."),
    "near_found": N_("{count} cảnh báo trong bán kính {km} km."),
    "no_location": N_("Không xác định được vị trí của bạn."),
    "camera_online": N_("Đang hoạt động"),
    "camera_offline": N_("Ngừng hoạt động"),
    "no_snapshot": N_("Chưa có ảnh"),
    "mark_offline": N_("Báo ngừng hoạt động"),
    "mark_online": N_("Báo hoạt động lại"),
    "offline_reason": N_("Lý do ngừng hoạt động?"),
    "cameras_count": N_("{shown} / {total} camera · ảnh làm mới mỗi phút"),
    "snapshot_of": N_("Ảnh mới nhất từ camera {name}"),
    "report_traffic_jam": N_("Kẹt xe"),
    "report_jam": N_("Kẹt xe"),
    "report_accident": N_("Tai nạn"),
    "report_broken_signal": N_("Đèn tín hiệu hỏng"),
    "report_traffic_light": N_("Đèn tín hiệu hỏng"),
    "report_obstruction": N_("Vật cản"),
    "status_new": N_("mới"),
    "status_verified": N_("đã xác minh"),
    "status_accepted": N_("đã tiếp nhận"),
    "status_in_progress": N_("đang xử lý"),
    "status_assigned": N_("đã giao xử lý"),
    "status_resolved": N_("đã xử lý"),
    "status_closed": N_("đã đóng"),
    "status_rejected": N_("từ chối"),
    "new_alert": N_("Cảnh báo mới: {text}"),
    "level_free": N_("thông thoáng"),
    "level_slow": N_("chậm"),
    "level_heavy": N_("đông, ùn ứ"),
    "level_standstill": N_("kẹt cứng"),
    "source_live": N_("trực tiếp lúc {time}"),
    "source_typical": N_("theo thống kê, chưa có dữ liệu trực tiếp"),
    "source_none": N_("chưa có dữ liệu"),
    "forecast": N_("Dự báo: {in30} km/h sau 30 phút, {in60} km/h sau 60 phút"),
    "push_on": N_("Bật thông báo đẩy"),
    "push_off": N_("Tắt thông báo đẩy"),
    "push_enabled": N_("Đã bật. Cảnh báo trên lộ trình, địa điểm đã lưu sẽ đến cả khi đóng trang."),
    "push_disabled": N_("Đã tắt thông báo đẩy trên trình duyệt này."),
    "push_denied": N_(
        "Trình duyệt không cho phép thông báo. Hãy cho phép trong cài đặt trình duyệt."
    ),
    "push_unsupported": N_("Trình duyệt này không hỗ trợ thông báo đẩy."),
    "push_failed": N_("Không bật được thông báo đẩy: {reason}"),
}


def _config(request: Request, officer: bool) -> dict[str, Any]:
    language = language_of(request)
    settings = get_settings()
    return {
        "lang": language,
        "officer": officer,
        "urls": {
            "tiles": "/tiles/traffic/{z}/{x}/{y}.mvt",
            "roads": "/tiles/roads/{z}/{x}/{y}.mvt",
            "stream": "/api/v1/traffic/alerts/stream?live=true",
            "alerts": "/api/v1/traffic/alerts",
            "subscriptions": "/api/v1/traffic/subscriptions",
            "incidents": "/api/v1/traffic/incidents",
            "cameras": "/api/v1/traffic/cameras",
            "reports": "/api/v1/traffic/reports",
            "push": "/api/v1/traffic/push",
            "segments": "/api/v1/traffic/segments",
            "reverse": "/api/v1/geocode/reverse",
        },
        "push": push.config().model_dump(),
        "tileUrl": settings.tile_url,
        "tileAttribution": settings.tile_attribution,
        "msg": {key: gettext(text, language) for key, text in MESSAGES.items()},
    }


@router.get("/traffic", response_class=HTMLResponse)
def traffic_page(request: Request, principal: OptionalPrincipal) -> Response:
    officer = principal is not None and principal.has_role(Role.officer, Role.admin)
    return render(
        request,
        "traffic/page.html",
        {"config": _config(request, officer), "planner_url": PLANNER_URL},
        headers={"Cache-Control": "no-store"} if officer else None,
    )
