"""The route planner at phone width: tap origin and destination, see the route and its steps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_planner_draws_a_route_from_two_taps(
    live_server: str,
    hcmc_network: Path,
    phone: tuple[Page, list[str]],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page, errors = phone
    page.goto(live_server + "/routes")
    page.wait_for_selector(".planner-map.leaflet-container")
    assert page.get_by_label("Điểm đi").is_visible()
    box = page.locator(".planner-map").bounding_box()
    assert box is not None
    map_area = page.locator(".planner-map")
    map_area.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.35})
    page.wait_for_selector(".planner-map path.leaflet-interactive")  # the origin marker
    page.wait_for_timeout(400)  # two taps, not a double tap
    map_area.click(position={"x": box["width"] * 0.7, "y": box["height"] * 0.7})
    try:
        page.wait_for_selector(".planner-result:not([hidden])", timeout=60_000)
    except Exception:
        print("STATUS", page.locator(".planner-status").inner_text(), errors)  # noqa: T201
        raise
    steps = page.locator(".planner-steps li")
    assert steps.count() >= 2
    assert steps.last.inner_text().startswith("Đến nơi")
    assert page.locator(".planner-map path.leaflet-interactive").count() >= 1
    page.locator(".planner-result").scroll_into_view_if_needed()
    screenshot(page, "route-planner-phone.png")
    # switching to car re-plans with the same points
    page.get_by_label("Ô tô").check()
    page.wait_for_selector(".planner-result:not([hidden])")
    assert errors == []
