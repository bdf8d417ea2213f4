"""The traffic page at phone width while the simulator drives: the four tabs, a route saved
by drawing it on the map, and the jam alert that reaches the page over SSE."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import shapely
from PIL import Image

from smartcity.config import get_settings
from smartcity.core.db import Database
from smartcity.core.events import publish_after_commit
from smartcity.roads.service import roads
from smartcity.traffic.service import traffic
from smartcity.traffic.simulator import start_simulator
from support.traffic import api_key, crawl, stretch

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def _cameras_with_snapshots(database: Database, live_server: str) -> None:
    data_dir = get_settings().data_dir
    register = data_dir / "traffic" / "hcmc_traffic_cameras_2017.geojson" if data_dir else None
    if register is None or not register.is_file():
        return
    with database.session() as session:
        traffic.import_cameras(session, path=register)
    key = api_key(database, "traffic:cameras")
    with httpx.Client(base_url=live_server, headers={"X-API-Key": key}) as http:
        cameras = http.get("/api/v1/traffic/cameras").json()
        for number, camera in enumerate(cameras[:3]):
            buffer = io.BytesIO()
            Image.new("RGB", (320, 180), (40 + 60 * number, 90, 140)).save(buffer, "JPEG")
            http.post(
                f"/api/v1/traffic/cameras/{camera['id']}/snapshots",
                content=buffer.getvalue(),
                headers={"Content-Type": "image/jpeg"},
            ).raise_for_status()


def _draw(page: Page, map_id: str, coordinates: list[tuple[float, float]]) -> None:
    """Tap the map at each (lon, lat), as a user drawing a route does."""
    page.evaluate(f"() => document.getElementById('{map_id}').scrollIntoView({{block: 'center'}})")
    box = page.locator(f"#{map_id}").bounding_box()
    assert box is not None
    page.evaluate(
        """([id, coords]) => {
            const map = document.getElementById(id).leafletMap;
            map.fitBounds(coords.map(c => [c[1], c[0]]), {padding: [30, 30], animate: false});
        }""",
        [map_id, coordinates],
    )
    page.wait_for_timeout(300)
    points = page.evaluate(
        """([id, coords]) => {
            const map = document.getElementById(id).leafletMap;
            return coords.map(c => { const p = map.latLngToContainerPoint([c[1], c[0]]);
                                     return [p.x, p.y]; });
        }""",
        [map_id, coordinates],
    )
    for x, y in points:
        page.mouse.click(box["x"] + x, box["y"] + y)
        page.wait_for_timeout(120)


def test_four_tabs_at_phone_width_and_a_jam_alert_on_a_saved_route(
    live_server: str,
    database: Database,
    traffic_running: None,
    phone: tuple[Page, list[str]],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page, errors = phone
    _cameras_with_snapshots(database, live_server)
    simulator = start_simulator(live_server, vehicles=8, speedup=30, seed=7, database=database)
    try:
        # --- Map: traffic tiles coloured by level, the live stream connected
        page.goto(live_server + "/traffic")
        page.wait_for_selector("#live-status.is-live")
        page.wait_for_function(
            "() => document.querySelectorAll('#traffic-map canvas.leaflet-tile-loaded').length > 0"
        )
        assert (
            page.locator("#route-planner[data-route-planner]").get_attribute("data-planner-url")
            == "/routes?avoid=jams"
        )
        for _ in range(60):
            if simulator.simulator.stats.matched > 0:
                break
            page.wait_for_timeout(250)
        screenshot(page, "traffic-1-map.png")

        # --- Alerts: draw the home → work route on the map and save it
        page.get_by_role("tab", name="Cảnh báo").click()
        assert page.locator("#panel-alerts").is_visible()
        assert page.locator("#panel-map").is_hidden()
        arcs = stretch(database, seed=71, min_m=700, max_m=1200)
        with database.session() as session:
            graph = roads.index(session).graph
        vertices = [tuple(graph.arc_geometry(a)[0]) for a in arcs]
        vertices.append(tuple(graph.arc_geometry(arcs[-1])[-1]))
        _draw(page, "alerts-map", [(float(x), float(y)) for x, y in vertices])
        name = f"Nhà → cơ quan {uuid.uuid4().hex[:4]}"
        assert page.inner_text("#draw-status") == f"{len(vertices)} điểm đã chọn"
        page.fill("#sub-name", name)
        page.check("input[name=always]")
        page.click("#subscribe-submit")
        page.wait_for_selector(f"#subscription-list li:has-text('{name}')")

        # --- a jam appears on that route: vehicles crawl along it (through the probe API)
        key = api_key(database, "traffic:ingest")
        points = crawl(database, arcs, vehicle="e2e-jam", seed=71)
        response = httpx.post(
            live_server + "/api/v1/traffic/probes",
            json={"points": points},
            headers={"X-API-Key": key},
        )
        assert response.status_code == 200, response.text
        alert = page.wait_for_selector(
            f"#alert-list .alert-item.kind-jam:has-text('{name}')", timeout=30_000
        )
        assert alert is not None
        assert page.locator("#alert-count").inner_text() != ""
        page.locator("#alert-list").scroll_into_view_if_needed()
        screenshot(page, "traffic-2-alerts.png")

        # --- Camera: the map and the list with the latest snapshots
        page.get_by_role("tab", name="Camera").click()
        page.wait_for_selector("#camera-list li")
        if page.locator("#camera-list img.snapshot").count():
            page.wait_for_function(
                "() => [...document.querySelectorAll('#camera-list img.snapshot')]"
                ".some(i => i.complete && i.naturalWidth > 0)"
            )
        page.evaluate("() => document.getElementById('camera-status').scrollIntoView()")
        screenshot(page, "traffic-3-cameras.png")

        # --- Reports: a citizen traffic report announced by the reports module arrives live
        page.get_by_role("tab", name="Phản ánh").click()
        assert page.locator("a[href='/reports/new?category=traffic']").is_visible()
        with database.session() as session:
            publish_after_commit(
                session, "report.created", report_id=f"R-{uuid.uuid4().hex[:8]}",
                category="accident", lon=106.70, lat=10.78, ward_code=None, status="new",
                fields={},
            )  # fmt: skip
        page.wait_for_selector("#report-list .report-item")
        screenshot(page, "traffic-4-reports.png")

        # keyboard: arrows move between tabs
        page.get_by_role("tab", name="Phản ánh").press("ArrowLeft")
        assert page.get_by_role("tab", name="Camera").get_attribute("aria-selected") == "true"
        # a link to a tab (as a notification opens /traffic#alerts) selects it in place
        page.evaluate("() => { window.location.hash = '#alerts'; }")
        page.wait_for_function("() => document.querySelector('[data-tab=alerts]')"
                               ".getAttribute('aria-selected') === 'true'")  # fmt: skip

        # --- back on the map, at street zoom: the jam in red, its alert marker
        page.get_by_role("tab", name="Bản đồ").click()
        page.evaluate(
            """(coords) => document.getElementById('traffic-map').leafletMap.fitBounds(
                coords.map(c => [c[1], c[0]]), {padding: [40, 40], animate: false})""",
            [list(v) for v in vertices],
        )
        page.wait_for_function(
            "() => document.querySelectorAll('#traffic-map .leaflet-interactive').length > 0"
        )
        page.wait_for_timeout(1500)
        screenshot(page, "traffic-5-map-jam.png")

        # --- tap the jammed road: its live speed, level and the 30/60-minute forecast
        road = shapely.LineString(graph.arc_geometry(arcs[len(arcs) - 2]))
        lon, lat = road.interpolate(0.5, normalized=True).coords[0]
        box = page.locator("#traffic-map").bounding_box()
        assert box is not None
        x, y = page.evaluate(
            """([lon, lat]) => { const p = document.getElementById('traffic-map').leafletMap
                 .latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }""",
            [lon, lat],
        )
        page.mouse.click(box["x"] + x, box["y"] + y)
        popup = page.wait_for_selector(".segment-popup", timeout=10_000)
        assert popup is not None
        text = popup.inner_text()
        assert "km/h" in text
        assert "trực tiếp lúc" in text
        assert "Dự báo:" in text
        page.wait_for_timeout(600)  # the popup fades in and the map pans to show it
        screenshot(page, "traffic-6-segment.png")
    finally:
        stats = simulator.stop()
    assert simulator.error is None
    assert stats.matched > 0
    assert errors == []
