"""Vietnamese working days for legal deadlines.

Monday–Friday, minus public holidays and compensatory days off, plus the government's
make-up Saturdays — all from the ``holidays`` package (VN) — then corrected by the
``calendar_overrides`` table, because the official schedule is announced year by year
(see shared/docs/domain-vn.md §3).  Deadlines are computed in Asia/Ho_Chi_Minh time.
"""

from __future__ import annotations

import calendar as _gregorian
import enum
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcity.core.clock import VN_TZ
from smartcity.core.models import CalendarOverride

#: End of the office day: a deadline "within N working days" ends then.
OFFICE_CLOSES = time(17, 0)
#: Safety bound: no deadline needs more than this many calendar days of search.
_MAX_SCAN_DAYS = 3660


class DurationUnit(enum.StrEnum):
    """The unit of a procedure's legal processing time (``DonViTinh``)."""

    hours = "hours"
    days = "days"
    working_days = "working_days"
    months = "months"


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _gregorian.monthrange(year, month)[1]))


class WorkCalendar:
    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self._public: Any = holidays.country_holidays("VN", language="vi")
        self._overrides = dict(overrides or {})

    @classmethod
    def from_database(cls, session: Session) -> WorkCalendar:
        rows = session.scalars(select(CalendarOverride)).all()
        return cls({row.day: row.is_working_day for row in rows})

    def is_working_day(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        return bool(self._public.is_working_day(day))

    def holiday_name(self, day: date) -> str | None:
        name = self._public.get(day)
        return str(name) if name else None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("no working day within ten years")

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself is not counted)."""
        if count < 0:
            raise ValueError("count must be >= 0")
        current = day
        for _ in range(count):
            current = self.next_working_day(current)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many the clock ran between two dates."""
        if end <= start:
            return 0
        return sum(
            1
            for offset in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=offset))
        )

    def counting_start(self, received_at: datetime, *, cutoff: time | None = None) -> date:
        """The day from which working days are counted for something received at
        ``received_at``: a receipt on a non-working day, or after the procedure's cut-off,
        counts as received on the next working day."""
        local = received_at.astimezone(VN_TZ)
        day = local.date()
        if not self.is_working_day(day) or (cutoff is not None and local.time() >= cutoff):
            return self.next_working_day(day)
        return day

    def due_at(
        self, received_at: datetime, working_days: int, *, cutoff: time | None = None
    ) -> datetime:
        """Deadline of a task given ``working_days`` from receipt: the end of the office day
        on the N-th working day after the day counting starts (0 = the same day)."""
        start = self.counting_start(received_at, cutoff=cutoff)
        due_day = self.add_working_days(start, working_days)
        return datetime.combine(due_day, OFFICE_CLOSES, tzinfo=VN_TZ)

    def deadline(
        self,
        received_at: datetime,
        amount: int,
        unit: DurationUnit,
        *,
        cutoff: time | None = None,
    ) -> datetime:
        """Legal deadline of a procedure whose maximum time is ``amount`` ``unit``.

        Working days follow :meth:`due_at`.  Calendar days and months run from the day
        counting starts and, when they end on a day off, move to the next working day.
        Hours run from the moment of receipt (wall-clock).
        """
        if amount < 0:
            raise ValueError("amount must be >= 0")
        if unit is DurationUnit.working_days:
            return self.due_at(received_at, amount, cutoff=cutoff)
        if unit is DurationUnit.hours:
            return received_at.astimezone(VN_TZ) + timedelta(hours=amount)
        start = self.counting_start(received_at, cutoff=cutoff)
        end = (
            start + timedelta(days=amount)
            if unit is DurationUnit.days
            else add_months(start, amount)
        )
        if not self.is_working_day(end):
            end = self.next_working_day(end)
        return datetime.combine(end, OFFICE_CLOSES, tzinfo=VN_TZ)

    def extend_for_pause(
        self, due: datetime, paused_from: datetime, paused_until: datetime
    ) -> datetime:
        """Push a deadline back by the working days that passed while the clock was stopped
        (waiting for the citizen)."""
        lost = self.working_days_between(
            paused_from.astimezone(VN_TZ).date(), paused_until.astimezone(VN_TZ).date()
        )
        local_due = due.astimezone(VN_TZ)
        return datetime.combine(self.add_working_days(local_due.date(), lost), local_due.timetz())
