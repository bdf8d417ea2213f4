"""A citizen reports a pothole with a photo at phone width, is offered the nearby report,
submits; an officer of that ward resolves it; the citizen reads the answer and rates it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from smartcity.core.db import Database
from smartcity.core.models import Role, User
from smartcity.places.service import places
from smartcity.reports.limits import create_limit
from smartcity.reports.schemas import ReportCreate
from smartcity.reports.service import reports
from support.accounts import log_in, make_account

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

POTHOLE = (106.69805, 10.77245)  # in front of Bến Thành market
NEARBY = (106.69830, 10.77260)  # about 30 m away


def _user(database: Database, role: Role, **fields: object) -> User:
    name = "Trần Văn Bình" if role is Role.officer else "Nguyễn Thị Lan"
    return make_account(database, role, full_name=name, **fields)


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "o-ga.jpg"
    Image.new("RGB", (800, 600), (90, 90, 90)).save(path, "JPEG")
    return path


def test_report_resolve_and_rate(
    live_server: str,
    database: Database,
    data_dir: Path,
    browser: Browser,
    phone: tuple[Page, list[str]],
    screenshot: Callable[[Page, str], Path],
    tmp_path: Path,
) -> None:
    create_limit.reset()
    with database.session() as session:
        ward = places.ward_code_at(session, *POTHOLE)
        if ward is None:
            pytest.skip("ward boundaries not loaded")
        earlier = reports.create(
            session,
            data=ReportCreate(
                category="roads", lon=NEARBY[0], lat=NEARBY[1], description="Ổ gà sâu gần chợ"
            ),
            principal=None,
        ).report.id
    citizen = _user(database, Role.citizen)
    officer = _user(database, Role.officer, agency_code="SXD", ward_codes=[ward])

    page, errors = phone
    log_in(page, live_server, citizen.email, "/reports/new")
    page.select_option("#report-category", "roads")
    page.fill("#report-lat", f"{POTHOLE[1]}")
    page.fill("#report-lon", f"{POTHOLE[0]}")
    page.locator("#report-lon").dispatch_event("change")
    nearby = page.locator("#report-nearby")
    nearby.wait_for(state="visible")
    assert f"#{earlier}" in page.locator("#report-nearby-list").inner_text()
    nearby.scroll_into_view_if_needed()
    screenshot(page, "reports-1-duplicate-suggestion.png")

    page.fill("#report-description", "Ổ gà mới <b>rất to</b> ở làn xe máy")
    page.set_input_files("#report-photos", str(_photo(tmp_path)))
    page.locator("#report-submit").click()
    page.wait_for_url(f"{live_server}/reports/*")
    report_url = page.url
    report_id = int(report_url.rsplit("/", 1)[1].split("?")[0])
    assert report_id != earlier
    assert page.locator("#report-status").inner_text() == "Đã tiếp nhận"
    assert "<b>rất to</b>" in page.locator(".report-description").inner_text()
    assert page.locator(".report-photos img").count() == 1
    screenshot(page, "reports-2-submitted.png")

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, locale="vi-VN"
    )
    officer_page = context.new_page()
    log_in(officer_page, live_server, officer.email, "/reports/console")
    assert officer_page.locator(f"a[href='/reports/{report_id}']").count() == 1
    screenshot(officer_page, "reports-3-officer-queue.png")
    officer_page.goto(f"{live_server}/reports/{report_id}")
    officer_page.select_option("#officer-action", "resolve")
    officer_page.fill("#officer-note", "Đã vá ổ gà ngày hôm nay.")
    officer_page.set_input_files("#officer-photos", str(_photo(tmp_path)))
    officer_page.locator("#officer-form button[type=submit]").click()
    officer_page.wait_for_url(f"{live_server}/reports/{report_id}")
    assert officer_page.locator("#report-status").inner_text() == "Đã xử lý"
    screenshot(officer_page, "reports-4-officer-resolved.png")
    context.close()

    page.goto(report_url)
    assert page.locator("#report-answer").inner_text() == "Đã vá ổ gà ngày hôm nay."
    page.locator("#rate-form input[name=rating][value='5']").check()
    page.fill("#rate-comment", "Xử lý nhanh, cảm ơn.")
    page.locator("#rate-form button[type=submit]").click()
    page.wait_for_selector("#report-rating")
    assert "5/5" in page.locator("#report-rating").inner_text()
    page.locator("#report-timeline").scroll_into_view_if_needed()
    screenshot(page, "reports-5-rated.png")
    kinds = page.locator("#report-timeline li strong").all_inner_texts()
    assert kinds == ["Tiếp nhận", "Trả lời kết quả", "Đánh giá"]
    assert [e for e in errors if "/tiles/" not in e] == []
