"""The city map with our own road tiles, panned and zoomed at phone width."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def _tiles_drawn(page: Page) -> int:
    return int(
        page.evaluate(
            "() => document.querySelectorAll('#ward-map canvas.leaflet-tile-loaded').length"
        )
    )


def test_city_map_draws_road_tiles_and_pans_and_zooms(
    live_server: str,
    hcmc_network: Path,
    phone: tuple[Page, list[str]],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page, errors = phone
    road_tiles: list[str] = []
    page.on(
        "response",
        lambda r: road_tiles.append(r.url) if "/tiles/roads/" in r.url and r.ok else None,
    )
    page.goto(live_server + "/")
    page.wait_for_selector("#ward-map .leaflet-interactive")
    page.wait_for_function(
        "() => document.querySelectorAll('#ward-map canvas.leaflet-tile-loaded').length > 0"
    )
    screenshot(page, "roads-city.png")
    assert road_tiles, "the map asked for no road tiles"
    # Central HCMC (Nguyễn Huệ) at street zoom through a shared-view link, then zoom and pan.
    # A new query string makes it a real navigation (a hash-only change would not reload).
    page.goto(live_server + "/?view=shared#14/10.7745/106.7035")
    page.wait_for_function(
        "() => document.querySelectorAll('#ward-map canvas.leaflet-tile-loaded').length > 0"
    )
    map_box = page.locator("#ward-map").bounding_box()
    assert map_box is not None
    for _ in range(2):
        page.locator(".leaflet-control-zoom-in").click()
        page.wait_for_timeout(400)
    assert page.evaluate("() => window.location.hash").startswith("#16/")
    centre_x = map_box["x"] + map_box["width"] / 2
    centre_y = map_box["y"] + map_box["height"] / 2
    page.mouse.move(centre_x, centre_y)
    page.mouse.down()
    page.mouse.move(centre_x - 120, centre_y + 80, steps=8)
    page.mouse.up()
    page.wait_for_timeout(800)
    requested_after_pan = len(road_tiles)
    assert requested_after_pan > 0
    assert _tiles_drawn(page) > 0
    screenshot(page, "roads-street-zoom.png")
    assert errors == []
