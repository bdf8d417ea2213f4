"""Browser fixtures: Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from smartcity.core.db import Database
from smartcity.traffic.service import traffic
from smartcity.traffic.tasks import background

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {"width": 360, "height": 740}
#: The ward boundaries come from the places module; without data its 404/empty answer is fine.
WARDS_PATH = "/api/v1/places/wards.geojson"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A fresh phone-sized page and the console errors it reports (CSP violations included)."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="vi-VN"
    )
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and WARDS_PATH not in message.location.get("url", ""):
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    yield page, errors
    context.close()


def _screenshot(page: Page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / name
    page.screenshot(path=str(path), full_page=False)
    print(f"screenshot: {path}")  # noqa: T201
    return path


@pytest.fixture
def screenshot() -> Callable[[Page, str], Path]:
    """Save a screenshot under var/screenshots/ (and print its path)."""
    return _screenshot


@pytest.fixture
def traffic_running(database: Database, small_network: Path) -> Iterator[None]:
    """The traffic background work `smartcity demo` runs (publisher, jam detector, push)."""
    traffic.reset()
    background.start(database)
    yield
    background.stop()
