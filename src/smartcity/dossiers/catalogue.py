"""The seeded procedure catalogue: 30 common HCMC procedures in the project's own words.

Times, fees and documents are a starting point written for this platform, not copied from
the national database; administrators correct them through the catalogue API, and every
edit becomes a new version.  ``national_code`` stays empty until an administrator fills it
with the real code of the National TTHC Database.
"""

from __future__ import annotations

from typing import Any

from smartcity.core.i18n import N_

LIFE_EVENTS: dict[str, str] = {
    "birth": N_("Sinh con"),
    "marriage": N_("Kết hôn"),
    "death": N_("Người thân qua đời"),
    "residence": N_("Cư trú"),
    "business": N_("Kinh doanh"),
    "housing": N_("Nhà ở và xây dựng"),
    "land": N_("Đất đai"),
    "papers": N_("Giấy tờ và chứng thực"),
    "social": N_("Trợ cấp và bảo trợ xã hội"),
    "school": N_("Học tập"),
}

DOCUMENT_HINT = "PDF, JPEG, PNG"


def _text(title: str, *, min_length: int = 2, max_length: int = 200) -> dict[str, Any]:
    return {"type": "string", "title": title, "minLength": min_length, "maxLength": max_length}


def _date(title: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "format": "date"}


def _choice(title: str, *options: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(options)}


def _cccd(title: str) -> dict[str, Any]:
    return {
        "type": "string",
        "title": title,
        "format": "cccd",
        "pattern": "^[0-9]{12}$",
        "description": "12 chữ số",
    }


def _count(title: str, maximum: int = 20) -> dict[str, Any]:
    return {"type": "integer", "title": title, "minimum": 1, "maximum": maximum}


def _schema(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _docs(*names: str, optional: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{"name": n, "required": True} for n in names] + [
        {"name": n, "required": False} for n in optional
    ]


_REQUEST = _schema(["request"], request=_text("Nội dung đề nghị", min_length=5, max_length=1000))


def _p(
    code: str,
    name: str,
    name_en: str,
    field: str,
    life_event: str,
    *,
    level: str = "ward",
    agency: str | None = None,
    online: str = "full",
    duration: int,
    unit: str = "working_days",
    cutoff: str | None = None,
    fee: int = 0,
    documents: list[dict[str, Any]] | None = None,
    form: dict[str, Any] | None = None,
    result: str,
) -> dict[str, Any]:
    legacy = {"full": 4, "partial": 3, "none": 2}[online]
    return {
        "code": code,
        "national_code": None,
        "name": name,
        "name_en": name_en,
        "field": field,
        "life_event": life_event,
        "level": level,
        "agency_code": agency,
        "online_level": online,
        "legacy_level": legacy,
        "duration": duration,
        "duration_unit": unit,
        "cutoff": cutoff,
        "fee_vnd": fee,
        "documents": documents or [],
        "form_schema": form or _REQUEST,
        "result_type": result,
    }


BIRTH_FORM = _schema(
    ["child_name", "child_birth_date", "child_sex", "birth_place", "mother_name", "relationship"],
    child_name=_text("Họ, chữ đệm và tên của trẻ", max_length=100),
    child_birth_date=_date("Ngày sinh"),
    child_sex=_choice("Giới tính", "Nam", "Nữ"),
    birth_place=_text("Nơi sinh (cơ sở y tế hoặc địa chỉ)"),
    mother_name=_text("Họ, chữ đệm và tên của mẹ", max_length=100),
    father_name=_text("Họ, chữ đệm và tên của cha (nếu có)", min_length=0, max_length=100),
    relationship=_choice("Quan hệ của người đi đăng ký với trẻ", "Mẹ", "Cha", "Ông/bà", "Khác"),
    extract_copies=_count("Số bản sao trích lục cần cấp", 10),
)

PROCEDURES: list[dict[str, Any]] = [
    _p(
        "HCM.HT.01",
        "Đăng ký khai sinh",
        "Birth registration",
        "Hộ tịch",
        "birth",
        duration=1,
        cutoff="15:00",
        fee=8000,
        documents=_docs("Giấy chứng sinh", optional=("Văn bản ủy quyền",)),
        form=BIRTH_FORM,
        result="Giấy khai sinh (bản điện tử) và bản sao trích lục",
    ),
    _p(
        "HCM.HT.02",
        "Liên thông đăng ký khai sinh, thường trú, cấp thẻ bảo hiểm y tế cho trẻ dưới 6 tuổi",
        "Joint birth, residence and child health-insurance registration",
        "Hộ tịch",
        "birth",
        duration=5,
        documents=_docs("Giấy chứng sinh"),
        form=BIRTH_FORM,
        result="Giấy khai sinh, xác nhận thường trú, thẻ BHYT",
    ),
    _p(
        "HCM.HT.03",
        "Đăng ký kết hôn",
        "Marriage registration",
        "Hộ tịch",
        "marriage",
        online="partial",
        duration=3,
        documents=_docs("Tờ khai đăng ký kết hôn", "Giấy xác nhận tình trạng hôn nhân"),
        form=_schema(
            ["partner_name", "partner_id", "partner_birth_date"],
            partner_name=_text("Họ và tên người kia", max_length=100),
            partner_id=_cccd("Số định danh cá nhân của người kia"),
            partner_birth_date=_date("Ngày sinh của người kia"),
        ),
        result="Giấy chứng nhận kết hôn",
    ),
    _p(
        "HCM.HT.04",
        "Cấp giấy xác nhận tình trạng hôn nhân",
        "Marital status certificate",
        "Hộ tịch",
        "marriage",
        duration=3,
        fee=0,
        form=_schema(["purpose"], purpose=_text("Mục đích sử dụng", min_length=3)),
        result="Giấy xác nhận tình trạng hôn nhân",
    ),
    _p(
        "HCM.HT.05",
        "Đăng ký khai tử",
        "Death registration",
        "Hộ tịch",
        "death",
        duration=1,
        cutoff="15:00",
        documents=_docs("Giấy báo tử hoặc giấy tờ thay giấy báo tử"),
        form=_schema(
            ["deceased_name", "deceased_id", "date_of_death", "relationship"],
            deceased_name=_text("Họ và tên người đã mất", max_length=100),
            deceased_id=_cccd("Số định danh cá nhân của người đã mất"),
            date_of_death=_date("Ngày mất"),
            relationship=_text("Quan hệ với người đã mất"),
        ),
        result="Trích lục khai tử",
    ),
    _p(
        "HCM.HT.06",
        "Cấp bản sao trích lục hộ tịch",
        "Copy of a civil-status extract",
        "Hộ tịch",
        "papers",
        duration=0,
        cutoff="15:00",
        fee=8000,
        form=_schema(
            ["kind", "copies"],
            kind=_choice("Loại trích lục", "Khai sinh", "Kết hôn", "Khai tử"),
            copies=_count("Số bản"),
        ),
        result="Bản sao trích lục hộ tịch",
    ),
    _p(
        "HCM.HT.07",
        "Đăng ký nhận cha, mẹ, con",
        "Recognition of parent or child",
        "Hộ tịch",
        "birth",
        online="partial",
        duration=3,
        documents=_docs("Chứng cứ chứng minh quan hệ"),
        result="Trích lục đăng ký nhận cha, mẹ, con",
    ),
    _p(
        "HCM.HT.08",
        "Thay đổi, cải chính, bổ sung thông tin hộ tịch",
        "Correction of civil-status data",
        "Hộ tịch",
        "papers",
        duration=3,
        fee=15000,
        documents=_docs("Giấy tờ làm căn cứ cải chính"),
        result="Trích lục thay đổi, cải chính hộ tịch",
    ),
    _p(
        "HCM.CT.01",
        "Đăng ký thường trú",
        "Permanent residence registration",
        "Cư trú",
        "residence",
        duration=7,
        documents=_docs("Giấy tờ chứng minh chỗ ở hợp pháp"),
        form=_schema(
            ["address", "reason"],
            address=_text("Địa chỉ đăng ký thường trú", min_length=5),
            reason=_text("Lý do"),
        ),
        result="Thông báo kết quả đăng ký thường trú",
    ),
    _p(
        "HCM.CT.02",
        "Đăng ký tạm trú",
        "Temporary residence registration",
        "Cư trú",
        "residence",
        duration=3,
        documents=_docs("Giấy tờ chứng minh chỗ ở hợp pháp"),
        form=_schema(
            ["address", "until"],
            address=_text("Địa chỉ tạm trú", min_length=5),
            until=_date("Tạm trú đến ngày"),
        ),
        result="Thông báo kết quả đăng ký tạm trú",
    ),
    _p(
        "HCM.CT.03",
        "Xác nhận thông tin về cư trú",
        "Residence information confirmation",
        "Cư trú",
        "residence",
        duration=1,
        form=_schema(["purpose"], purpose=_text("Mục đích sử dụng")),
        result="Giấy xác nhận thông tin về cư trú",
    ),
    _p(
        "HCM.KD.01",
        "Đăng ký hộ kinh doanh",
        "Household business registration",
        "Đăng ký kinh doanh",
        "business",
        duration=3,
        fee=100000,
        documents=_docs("Giấy đề nghị đăng ký hộ kinh doanh", optional=("Hợp đồng thuê địa điểm",)),
        form=_schema(
            ["business_name", "address", "activity", "capital_vnd"],
            business_name=_text("Tên hộ kinh doanh", min_length=3),
            address=_text("Địa điểm kinh doanh", min_length=5),
            activity=_text("Ngành, nghề kinh doanh"),
            capital_vnd={"type": "integer", "title": "Vốn kinh doanh (đồng)", "minimum": 0},
        ),
        result="Giấy chứng nhận đăng ký hộ kinh doanh",
    ),
    _p(
        "HCM.KD.02",
        "Thay đổi nội dung đăng ký hộ kinh doanh",
        "Change of household business details",
        "Đăng ký kinh doanh",
        "business",
        duration=3,
        fee=50000,
        result="Giấy chứng nhận đăng ký hộ kinh doanh (cấp lại)",
    ),
    _p(
        "HCM.KD.03",
        "Tạm ngừng, chấm dứt hoạt động hộ kinh doanh",
        "Suspension or closure of a household business",
        "Đăng ký kinh doanh",
        "business",
        duration=3,
        result="Thông báo xác nhận",
    ),
    _p(
        "HCM.XD.01",
        "Cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Construction permit for a house",
        "Xây dựng",
        "housing",
        online="partial",
        duration=15,
        fee=75000,
        documents=_docs("Bản vẽ thiết kế xây dựng", "Giấy tờ về quyền sử dụng đất"),
        form=_schema(
            ["address", "floors", "floor_area_m2"],
            address=_text("Địa chỉ công trình", min_length=5),
            floors=_count("Số tầng", 30),
            floor_area_m2={
                "type": "number",
                "title": "Tổng diện tích sàn (m²)",
                "exclusiveMinimum": 0,
            },
        ),
        result="Giấy phép xây dựng",
    ),
    _p(
        "HCM.XD.02",
        "Điều chỉnh giấy phép xây dựng nhà ở riêng lẻ",
        "Amendment of a house construction permit",
        "Xây dựng",
        "housing",
        online="partial",
        duration=10,
        fee=15000,
        documents=_docs("Bản vẽ thiết kế điều chỉnh"),
        result="Giấy phép xây dựng điều chỉnh",
    ),
    _p(
        "HCM.XD.03",
        "Cấp giấy phép xây dựng công trình",
        "Construction permit for a building",
        "Xây dựng",
        "housing",
        level="city",
        agency="SXD",
        online="partial",
        duration=20,
        fee=150000,
        documents=_docs("Hồ sơ thiết kế", "Giấy tờ về quyền sử dụng đất"),
        result="Giấy phép xây dựng",
    ),
    _p(
        "HCM.DD.01",
        "Đính chính giấy chứng nhận quyền sử dụng đất đã cấp",
        "Correction of a land-use certificate",
        "Đất đai",
        "land",
        level="city",
        agency="SNNMT",
        duration=10,
        documents=_docs("Giấy chứng nhận đã cấp"),
        form=_schema(
            ["certificate_number", "error"],
            certificate_number=_text("Số phát hành giấy chứng nhận", min_length=4, max_length=30),
            error=_text("Nội dung sai sót cần đính chính", min_length=5, max_length=1000),
        ),
        result="Giấy chứng nhận đã được đính chính",
    ),
    _p(
        "HCM.DD.02",
        "Đăng ký biến động đất đai do chuyển nhượng",
        "Land transfer registration",
        "Đất đai",
        "land",
        level="city",
        agency="SNNMT",
        online="partial",
        duration=10,
        documents=_docs("Hợp đồng chuyển nhượng", "Giấy chứng nhận đã cấp"),
        result="Giấy chứng nhận được xác nhận biến động",
    ),
    _p(
        "HCM.DD.03",
        "Cung cấp thông tin, dữ liệu đất đai",
        "Land information extract",
        "Đất đai",
        "land",
        level="city",
        agency="SNNMT",
        duration=2,
        fee=30000,
        result="Văn bản cung cấp thông tin",
    ),
    _p(
        "HCM.CTH.01",
        "Chứng thực bản sao từ bản chính",
        "Certified copy of an original",
        "Chứng thực",
        "papers",
        online="partial",
        duration=0,
        cutoff="15:00",
        fee=2000,
        documents=_docs("Bản chính giấy tờ cần chứng thực"),
        form=_schema(
            ["document", "pages"], document=_text("Tên giấy tờ"), pages=_count("Số trang", 200)
        ),
        result="Bản sao có chứng thực",
    ),
    _p(
        "HCM.CTH.02",
        "Chứng thực chữ ký",
        "Signature certification",
        "Chứng thực",
        "papers",
        online="none",
        duration=0,
        cutoff="15:00",
        fee=10000,
        result="Giấy tờ được chứng thực chữ ký",
    ),
    _p(
        "HCM.CTH.03",
        "Cấp bản sao điện tử từ sổ gốc",
        "Electronic copy from the master register",
        "Chứng thực",
        "papers",
        duration=1,
        fee=8000,
        result="Bản sao điện tử từ sổ gốc",
    ),
    _p(
        "HCM.XH.01",
        "Trợ cấp xã hội hằng tháng cho người cao tuổi",
        "Monthly allowance for older people",
        "Bảo trợ xã hội",
        "social",
        duration=10,
        documents=_docs("Tờ khai đề nghị trợ giúp xã hội"),
        form=_schema(
            ["beneficiary_name", "beneficiary_id", "birth_date"],
            beneficiary_name=_text("Họ và tên người hưởng"),
            beneficiary_id=_cccd("Số định danh cá nhân của người hưởng"),
            birth_date=_date("Ngày sinh người hưởng"),
        ),
        result="Quyết định trợ cấp xã hội hằng tháng",
    ),
    _p(
        "HCM.XH.02",
        "Trợ cấp xã hội hằng tháng cho người khuyết tật",
        "Monthly allowance for people with disabilities",
        "Bảo trợ xã hội",
        "social",
        duration=10,
        documents=_docs("Giấy xác nhận khuyết tật"),
        result="Quyết định trợ cấp xã hội",
    ),
    _p(
        "HCM.XH.03",
        "Hỗ trợ chi phí mai táng",
        "Funeral cost support",
        "Bảo trợ xã hội",
        "death",
        duration=3,
        documents=_docs("Trích lục khai tử"),
        result="Quyết định hỗ trợ chi phí mai táng",
    ),
    _p(
        "HCM.XH.04",
        "Xác nhận hộ nghèo, hộ cận nghèo",
        "Poor or near-poor household confirmation",
        "Bảo trợ xã hội",
        "social",
        duration=1,
        unit="months",
        online="partial",
        result="Giấy chứng nhận hộ nghèo, hộ cận nghèo",
    ),
    _p(
        "HCM.GD.01",
        "Chuyển trường cho học sinh trung học phổ thông",
        "Upper-secondary school transfer",
        "Giáo dục",
        "school",
        level="city",
        agency="SGDDT",
        duration=3,
        result="Văn bản đồng ý chuyển trường",
    ),
    _p(
        "HCM.YT.01",
        "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
        "Food-safety eligibility certificate",
        "Y tế",
        "business",
        level="city",
        agency="SYT",
        online="partial",
        duration=20,
        fee=700000,
        documents=_docs("Bản thuyết minh cơ sở vật chất"),
        result="Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
    ),
    _p(
        "HCM.TP.01",
        "Cấp phiếu lý lịch tư pháp",
        "Criminal record certificate",
        "Tư pháp",
        "papers",
        level="city",
        agency="STP",
        duration=10,
        fee=200000,
        form=_schema(
            ["purpose", "copies"], purpose=_text("Mục đích sử dụng"), copies=_count("Số bản", 5)
        ),
        result="Phiếu lý lịch tư pháp",
    ),
]
