"""Deadlines in Vietnamese working days: across Tết 2027, a make-up Saturday, and a pause
while waiting for the citizen (the clock stops, and Tết days cost nothing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time

from smartcity.core.auth import CredentialKind, Principal
from smartcity.core.clock import VN_TZ
from smartcity.core.db import Database
from smartcity.core.models import Role, User
from smartcity.reports.models import ReportStatus
from smartcity.reports.schemas import ActionRequest, ReportAction, ReportCreate
from smartcity.reports.service import reports

from .conftest import BEN_THANH


def vn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=VN_TZ)  # type: ignore[misc]


def _create(database: Database, received: datetime, category: str = "roads") -> int:
    return _create_with_key(database, received, category)[0]


def _create_with_key(
    database: Database, received: datetime, category: str = "roads"
) -> tuple[int, str]:
    with database.session() as session:
        created = reports.create(
            session,
            data=ReportCreate(
                category=category, lon=BEN_THANH[0], lat=BEN_THANH[1], description="Ổ gà"
            ),
            principal=None,
            now=received,
        )
        assert created.reporter_key is not None
        return created.report.id, created.reporter_key


def _local_due(database: Database, report_id: int) -> tuple[datetime, datetime]:
    with database.session() as session:
        report = reports.get(session, report_id)
        return report.acknowledge_due_at.astimezone(VN_TZ), report.due_at.astimezone(VN_TZ)


def test_handling_deadline_jumps_over_tet_2027(database: Database, wards: dict[str, int]) -> None:
    # Wed 20 Jan 2027 + 15 working days; Tết closes Thu 4 – Wed 10 Feb (with the weekend).
    report_id = _create(database, vn(2027, 1, 20, 10, 0))
    acknowledge, due = _local_due(database, report_id)
    assert acknowledge == vn(2027, 1, 22, 17, 0)
    assert due.date() == date(2027, 2, 17)  # Jan 21–22, 25–29, Feb 1–3, 11–12, 15–17
    assert due.time() == time(17, 0)


def test_make_up_saturday_counts_as_a_working_day(
    database: Database, wards: dict[str, int]
) -> None:
    # Sat 22 Aug 2026 is worked (swapped for Mon 31 Aug): Fri 21 + 2 → Sat 22, Mon 24.
    report_id = _create(database, vn(2026, 8, 21, 10, 0))
    acknowledge, _ = _local_due(database, report_id)
    assert acknowledge.date() == date(2026, 8, 24)
    # A report sent on that Saturday starts counting the same day.
    saturday = _create(database, vn(2026, 8, 22, 9, 0))
    assert _local_due(database, saturday)[0].date() == date(2026, 8, 25)


def test_pause_for_citizen_information_moves_the_deadline(
    database: Database, wards: dict[str, int], make_user: Callable[..., User]
) -> None:
    admin = make_user(Role.admin)
    officer = Principal(credential=CredentialKind.bearer, user=admin)
    report_id, key = _create_with_key(database, vn(2027, 1, 25, 9, 0))
    assert _local_due(database, report_id)[1].date() == date(2027, 2, 22)
    with database.session() as session:
        reports.act(
            session,
            report_id=report_id,
            request=ActionRequest(action=ReportAction.request_info, note="Xin ảnh rõ hơn"),
            principal=officer,
            now=vn(2027, 2, 3, 10, 0),
        )
    with database.session() as session:
        paused = reports.get(session, report_id)
        assert paused.status is ReportStatus.waiting_info
        assert paused.paused_at is not None
    # The citizen answers on the first day after Tết: only Thu 11 Feb was lost.
    with database.session() as session:
        reports.provide_info(
            session,
            report_id=report_id,
            principal=None,
            key=key,
            note="Ảnh đây",
            now=vn(2027, 2, 11, 9, 0),
        )
    _, due = _local_due(database, report_id)
    assert due.date() == date(2027, 2, 23)
    with database.session() as session:
        resumed = reports.get(session, report_id)
        assert resumed.status is ReportStatus.in_progress
        assert resumed.paused_at is None
        assert resumed.info_requests == 1
