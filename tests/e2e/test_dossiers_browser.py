"""Issue 8 end to end in Chromium at 360 px: a citizen files a birth registration, pays by
VietQR (the bank's webhook is simulated), an officer of the competent ward processes it with
one supplement request, the citizen downloads the signed e-result, /verify confirms it and
reports a tampered copy as not authentic.  Screenshots of each step in var/screenshots/."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from smartcity.core.db import Database
from smartcity.core.models import Role
from smartcity.dossiers.payments import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature_for
from support.accounts import PASSWORD, log_in, make_account

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
WARD = 26740  # Phường Sài Gòn
PDF = b"%PDF-1.4\n% giay chung sinh\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _account(database: Database, role: Role, **fields: object) -> str:
    name = "Trần Thị Bình" if role is Role.citizen else "Cán bộ Phường Sài Gòn"
    return make_account(database, role, full_name=name, **fields).email


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_birth_registration_online_to_verified_e_result(
    live_server: str,
    database: Database,
    browser: Browser,
    phone: tuple[Page, list[str]],
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    citizen_email = _account(database, Role.citizen)
    officer_email = _account(database, Role.officer, agency_code="UBNDP", ward_codes=[WARD])
    page, errors = phone

    # 1. Find the procedure and fill the e-form (validated as you type).
    page.goto(f"{live_server}/services?q=khai sinh")
    page.get_by_role("link", name="Đăng ký khai sinh", exact=True).click()
    page.get_by_role("link", name="Đăng nhập để nộp hồ sơ").click()
    page.fill("#login-email", citizen_email)
    page.fill("#login-password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").last.click()
    page.wait_for_url(f"{live_server}/services/procedures/HCM.HT.01")
    page.fill("#a-id", "0791")
    assert page.get_attribute("#a-id", "aria-invalid") == "true"  # live validation
    page.fill("#a-id", "079203001234")
    assert page.get_attribute("#a-id", "aria-invalid") is None
    page.fill("#a-phone", "0912345678")
    page.select_option("#a-ward", str(WARD))
    page.fill("#f-child_name", "Nguyễn Minh An")
    page.fill("#f-child_birth_date", "2026-11-20")
    page.select_option("#f-child_sex", "Nam")
    page.fill("#f-birth_place", "Bệnh viện Từ Dũ")
    page.fill("#f-mother_name", "Trần Thị Bình")
    page.select_option("#f-relationship", "Mẹ")
    page.fill("#f-extract_copies", "1")
    page.set_input_files(
        "#a-docs",
        files=[{"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    _fits(page)
    screenshot(page, "dossiers-1-form.png")
    page.get_by_role("button", name="Xem lại hồ sơ").click()
    page.wait_for_selector("#review-heading")
    screenshot(page, "dossiers-2-review.png")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.wait_for_selector(".dossier-code")
    code = page.inner_text(".dossier-code").strip()
    assert code.startswith(f"{WARD}-")
    assert page.inner_text(".status") == "Mới đăng ký"
    assert page.locator(".pay-qr").is_visible()
    assert page.evaluate("document.querySelector('.pay-qr').naturalWidth") > 100
    _fits(page)
    screenshot(page, "dossiers-3-receipt-and-qr.png")

    # 2. The bank notifies the payment (what scanning the VietQR code leads to).
    body = json.dumps(
        {"transaction_id": f"FT{uuid.uuid4().hex[:10]}", "amount": 8000, "reference": f"HS {code}"}
    ).encode()
    stamp = str(int(time.time()))
    paid = httpx.post(
        f"{live_server}/api/v1/payments/webhook",
        content=body,
        headers={
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: signature_for(stamp, body),
        },
    )
    assert paid.json()["outcome"] == "paid"
    page.get_by_role("link", name="Tôi đã chuyển khoản — cập nhật").click()
    page.wait_for_selector(".paid")
    screenshot(page, "dossiers-4-paid.png")

    # 3. The ward officer accepts, processes and asks for one supplement.
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, locale="vi-VN"
    )
    office = context.new_page()
    office.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    log_in(office, live_server, officer_email, "/services/office")
    office.get_by_role("link", name=code).click()
    screenshot(office, "dossiers-5-officer-queue-item.png")
    office.get_by_role("button", name="Tiếp nhận", exact=True).click()
    office.wait_for_selector(".status:has-text('Được tiếp nhận')")
    office.get_by_role("button", name="Chuyển xử lý").click()
    office.wait_for_selector(".status:has-text('Đang xử lý')")
    office.fill("#o-note", "Bổ sung bản chụp căn cước của mẹ")
    office.get_by_role("button", name="Yêu cầu bổ sung", exact=True).click()
    office.wait_for_selector(".status:has-text('Yêu cầu bổ sung giấy tờ')")
    _fits(office)
    screenshot(office, "dossiers-6-supplement-requested.png")

    # 4. The citizen answers online.
    page.reload()
    assert "Bổ sung bản chụp căn cước của mẹ" in page.inner_text(".notice")
    page.fill("#s-note", "Đã bổ sung bản chụp căn cước")
    page.set_input_files(
        "#s-docs",
        files=[{"name": "cccd-me.pdf", "mimeType": "application/pdf", "buffer": PDF + b"% cccd\n"}],
    )
    screenshot(page, "dossiers-7-supplement-answer.png")
    page.get_by_role("button", name="Gửi bổ sung").click()
    page.wait_for_selector(".status:has-text('Đang xử lý')")

    # 5. The officer approves (the e-result is signed) and returns it online.
    office.reload()
    office.get_by_role("button", name="Phê duyệt và ký kết quả").click()
    office.wait_for_selector(".status:has-text('Đã xử lý xong')")
    office.get_by_role("button", name="Trả kết quả").click()
    office.wait_for_selector(".status:has-text('Đã trả kết quả')")
    screenshot(office, "dossiers-8-returned.png")
    context.close()

    # 6. The citizen downloads the e-result and checks it.
    page.reload()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Tải kết quả (PDF có chữ ký số)").click()
    result = tmp_path / "ket-qua.pdf"
    download_info.value.save_as(result)
    assert result.read_bytes().startswith(b"%PDF")
    screenshot(page, "dossiers-9-result.png")
    page.get_by_role("link", name="Kiểm tra tính xác thực").click()
    page.wait_for_selector("#v-heading")
    page.set_input_files("#v-file", str(result))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    page.wait_for_selector(".verdict.ok")
    _fits(page)
    screenshot(page, "dossiers-10-verified.png")

    tampered = tmp_path / "ket-qua-sua.pdf"
    data = bytearray(result.read_bytes())
    data[len(data) // 2] ^= 0x20
    tampered.write_bytes(bytes(data))
    page.set_input_files("#v-file", str(tampered))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    page.wait_for_selector(".verdict.bad")
    assert "Không xác thực" in page.inner_text(".verdict.bad")
    screenshot(page, "dossiers-11-tampered.png")

    # 7. Public tracking by code + phone shows the status only.
    page.goto(f"{live_server}/services/track?code={code}&contact=0912345678")
    assert "Đã trả kết quả" in page.inner_text(".facts")
    assert "Trần Thị Bình" not in page.inner_text("main")
    assert errors == []
