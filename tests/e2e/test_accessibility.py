"""WCAG 2.1 A/AA checks (axe-core, run in Chromium) on every public page at phone width, in
Vietnamese and in English: what a screen-reader user, a keyboard user or someone with low
vision would trip over."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from smartcity.core.db import Database
from smartcity.core.models import Role
from support.accounts import log_in, make_account

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/traffic#map",
    "/traffic#alerts",
    "/traffic#cameras",
    "/traffic#reports",
    "/routes",
    "/flood",
    "/reports",
    "/reports/new",
    "/reports/stats",
    "/services",
    "/services/procedures/HCM.HT.01",
    "/services/track",
    "/services/quality",
    "/login",
    "/register",
    "/offline",
    "/api/docs",
]
#: Pages behind a sign-in, with who sees them.
SIGNED_IN = [
    ("/services/mine", Role.citizen),
    ("/reports/console", Role.officer),
    ("/services/office", Role.officer),
]
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}  # fmt: skip


def _violations(page: Page) -> list[dict[str, Any]]:
    from axe_playwright_python.sync_playwright import Axe

    found: list[dict[str, Any]] = Axe().run(page, options=WCAG).response["violations"]
    return found


def _describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n["target"]) for n in v["nodes"][:4])
        for v in violations
    )


#: Swagger UI (vendored) puts a copy-link button inside each operation's summary button.
THIRD_PARTY = {"/api/docs": {"nested-interactive"}}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_wcag_violations(
    path: str,
    language: str,
    live_server: str,
    database: Database,
    small_network: Path,
    phone: tuple[Page, list[str]],
) -> None:
    page, _errors = phone
    page.context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    page.goto(live_server + path)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert page.locator("html").get_attribute("lang") == language
    ignored = THIRD_PARTY.get(path, set())
    violations = [v for v in _violations(page) if v["id"] not in ignored]
    assert violations == [], f"{path} ({language}):\n{_describe(violations)}"


@pytest.mark.parametrize(("path", "role"), SIGNED_IN)
def test_signed_in_pages_have_no_wcag_violations(
    path: str,
    role: Role,
    live_server: str,
    database: Database,
    small_network: Path,
    phone: tuple[Page, list[str]],
) -> None:
    page, _errors = phone
    person = make_account(database, role, agency_code="UBNDP", ward_codes=[26740])
    log_in(page, live_server, person.email, path)
    page.wait_for_load_state("networkidle")
    violations = _violations(page)
    assert violations == [], f"{path} ({role}):\n{_describe(violations)}"
