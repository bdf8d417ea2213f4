"""People for tests: an account of a given role, and a browser signed in as it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from smartcity.accounts.service import accounts
from smartcity.core.db import Database
from smartcity.core.models import Role, User

if TYPE_CHECKING:
    from playwright.sync_api import Page

PASSWORD = "dung-mat-khau-42"


def make_account(
    database: Database, role: Role, *, full_name: str = "Nguyễn Thị Lan", **fields: object
) -> User:
    with database.session() as session:
        return accounts.create_user(
            session,
            email=f"{role.value}-{uuid.uuid4().hex[:8]}@example.vn",
            full_name=full_name,
            password=PASSWORD,
            role=role,
            **fields,  # type: ignore[arg-type]
        )


def log_in(page: Page, base: str, email: str, target: str) -> None:
    """Sign in through the login page and land on ``target``."""
    page.goto(f"{base}/login?next={target}")
    page.fill("#login-email", email)
    page.fill("#login-password", PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_url(f"{base}{target}")
