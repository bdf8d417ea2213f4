"""The platform's modules as the navigation, the home-page cards and the "coming" pages see them."""

from __future__ import annotations

from dataclasses import dataclass

from smartcity.core.i18n import N_


@dataclass(frozen=True, slots=True)
class Section:
    """One entry of the primary navigation (labels are Vietnamese msgids)."""

    path: str
    label: str
    description: str
    #: Shown as a "coming" page by the web shell until the module's own view is mounted.
    placeholder: bool = True

    def is_current(self, path: str) -> bool:
        if self.path == "/":
            return path == "/"
        return path == self.path or path.startswith(self.path + "/")


SECTIONS: tuple[Section, ...] = (
    Section(
        "/",
        N_("Bản đồ"),
        N_("Bản đồ 168 phường, xã, đặc khu của Thành phố Hồ Chí Minh."),
        placeholder=False,
    ),
    Section(
        "/traffic",
        N_("Giao thông"),
        N_("Tình trạng kẹt xe trực tiếp, sự cố, camera và tìm đường tránh kẹt, tránh ngập."),
        placeholder=False,
    ),
    Section(
        "/routes",
        N_("Tìm đường"),
        N_("Tìm đường cho xe máy và ô tô, tránh kẹt xe và đường ngập theo dữ liệu trực tiếp."),
        placeholder=False,
    ),
    Section(
        "/flood",
        N_("Ngập nước"),
        N_("Mực nước, lượng mưa, triều cường, điểm ngập và dự báo ngập."),
        placeholder=False,
    ),
    Section(
        "/reports",
        N_("Phản ánh"),
        N_("Gửi phản ánh kèm ảnh và vị trí, theo dõi việc xử lý của phường và cơ quan."),
        placeholder=False,
    ),
    Section(
        "/services",
        N_("Dịch vụ công"),
        N_("Nộp hồ sơ thủ tục hành chính trực tuyến, thanh toán phí và tra cứu kết quả."),
        placeholder=False,
    ),
    Section(
        "/health",
        N_("Sức khỏe"),
        N_("Hồ sơ sức khỏe điện tử liên thông giữa các bệnh viện, do bạn kiểm soát."),
    ),
    Section(
        "/data",
        N_("Dữ liệu mở"),
        N_("Danh mục dữ liệu mở và dữ liệu chia sẻ giữa các cơ quan của thành phố."),
    ),
    Section(
        "/dashboard",
        N_("Chỉ số thành phố"),
        N_("Bảng điều hành thành phố và tiến độ các mục tiêu chuyển đổi số đến năm 2030."),
    ),
    Section(
        "/api/docs",
        N_("API"),
        N_("Tài liệu API mở cho nhà phát triển và các cơ quan."),
        placeholder=False,
    ),
)


def placeholder_sections() -> tuple[Section, ...]:
    return tuple(s for s in SECTIONS if s.placeholder)
