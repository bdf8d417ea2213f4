"""The flood page at phone width: flooded points coloured by depth, tide chart, a report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from smartcity.core.db import Database
from smartcity.flood.models import DepthSource
from smartcity.flood.service import flood

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def test_flood_page_at_phone_width(
    live_server: str,
    database: Database,
    small_network: Path,
    phone: tuple[Page, list[str]],
    screenshot: Callable[[Page, str], Path],
) -> None:
    with database.session() as session:
        from smartcity.roads.service import roads

        index = roads.index(session)
        lon, lat = (float(v) for v in index.lines[0].interpolate(0.5, normalized=True).coords[0])
        flood.add_report(
            session,
            lon=lon,
            lat=lat,
            depth_cm=40.0,
            source=DepthSource.officer,
            now=datetime.now(UTC),
        )
    page, errors = phone
    page.goto(live_server + "/flood")
    page.wait_for_selector("#flood-map[data-loaded]")
    page.wait_for_selector("#tide-chart path.chart-line")
    assert page.locator("#tide-chart line.alert-line").count() == 3
    colours = page.evaluate(
        "() => [...document.querySelectorAll('#flood-map path.leaflet-interactive')].map(p => p.getAttribute('fill'))"
    )
    assert "#c62828" in colours  # 40 cm: cars should avoid
    screenshot(page, "flood-map-phone.png")
    box = page.locator("#flood-map").bounding_box()
    assert box is not None
    # the map frames the flooded point; tap just beside it (on the same street)
    page.locator("#flood-map").click(position={"x": box["width"] / 2 + 12, "y": box["height"] / 2})
    page.get_by_label("Đầu gối", exact=False).check()
    page.get_by_role("button", name="Gửi báo ngập").click()
    page.wait_for_function(
        "() => document.querySelector('#flood-report .form-status').textContent.length > 0"
    )
    screenshot(page, "flood-report-phone.png")
    assert "Cảm ơn" in page.locator("#flood-report .form-status").inner_text()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert errors == []
