"""The home page in Debian's Chromium at phone width, in Vietnamese and then in English."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


def wait_for_map(page: Page) -> None:
    """Leaflet has drawn the map and the boundary request has settled (features or a message)."""
    page.wait_for_selector("#ward-map.leaflet-container")
    page.wait_for_function(
        "() => document.querySelector('#ward-map .leaflet-interactive') !== null"
        " || (document.querySelector('.map-message').textContent !== ''"
        " && document.querySelector('#ward-map').dataset.msgLoading"
        " !== document.querySelector('.map-message').textContent)"
    )


def test_home_page_in_vietnamese_then_english_at_phone_width(
    live_server: str, phone: tuple[Page, list[str]], screenshot: Callable[[Page, str], Path]
) -> None:
    page, errors = phone
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.locator(".brand-name").inner_text() == "Thành phố thông minh TP.HCM"
    assert page.locator("details.menu summary").inner_text().strip() == "Danh mục"
    map_box = page.locator("#ward-map")
    assert map_box.is_visible()
    box = map_box.bounding_box()
    assert box is not None
    assert box["width"] >= 350
    assert box["height"] >= 0.5 * PHONE["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    wait_for_map(page)
    assert "OpenStreetMap" in page.locator(".leaflet-control-attribution").inner_text()
    screenshot(page, "home-vi.png")

    # The collapsible menu opens (it is a <details>, so this works without JavaScript too).
    menu_link = page.get_by_role("link", name="Giao thông", exact=True).first
    assert not menu_link.is_visible()
    page.locator("details.menu summary").click()
    assert menu_link.is_visible()
    for label in ("Ngập nước", "Phản ánh", "Dịch vụ công", "Sức khỏe", "Dữ liệu mở"):
        assert page.locator(".menu-list").get_by_role("link", name=label).is_visible()
    screenshot(page, "home-vi-menu.png")
    page.locator("details.menu summary").click()

    # The language switch is a plain link: clicking it sets the cookie and comes back here.
    page.get_by_role("link", name="English").click()
    page.wait_for_url(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator(".brand-name").inner_text() == "HCMC Smart City"
    assert page.locator("details.menu summary").inner_text().strip() == "Menu"
    page.locator("details.menu summary").click()
    assert page.locator(".menu-list").get_by_role("link", name="Traffic").is_visible()
    assert page.locator(".menu-list").get_by_role("link", name="Flooding").is_visible()
    page.locator("details.menu summary").click()
    assert page.locator("#ward-map").is_visible()
    wait_for_map(page)
    screenshot(page, "home-en.png")

    assert errors == []


def test_api_docs_render_with_the_vendored_swagger_ui(
    live_server: str, phone: tuple[Page, list[str]]
) -> None:
    page, errors = phone
    page.goto(live_server + "/api/docs")
    page.wait_for_selector("#swagger-ui .information-container")
    assert "HCMC Smart City Platform" in page.locator("#swagger-ui").inner_text()
    assert errors == []


def test_menu_and_language_switch_work_without_javascript(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/flood")
        page.locator("details.menu summary").click()
        assert page.locator(".menu-list").get_by_role("link", name="Phản ánh").is_visible()
        page.get_by_role("link", name="English").click()
        page.wait_for_url(live_server + "/flood")
        assert page.locator("h1").inner_text() == "Flooding"
    finally:
        context.close()


def test_service_worker_serves_the_offline_page(browser: Browser, live_server: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(live_server + "/")
        page.wait_for_function(
            "() => navigator.serviceWorker.ready.then(r => r.active && r.active.state === 'activated')"
        )
        page.reload()  # the page is now controlled by the worker
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        page.goto(live_server + "/reports")
        assert page.locator("h1").inner_text() == "Không có kết nối mạng"
        page.goto(live_server + "/")
        assert page.locator("#ward-map").count() == 1  # the shell itself still opens
    finally:
        context.close()
