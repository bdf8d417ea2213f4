"""Working-day arithmetic around Tết 2027, 30/4–1/5, 2/9 and make-up Saturdays."""

from __future__ import annotations

from datetime import date, datetime, time

from smartcity.core.clock import VN_TZ
from smartcity.core.workdays import WorkCalendar

calendar = WorkCalendar()


def vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN_TZ)  # type: ignore[misc]


def test_weekends_and_holidays_are_not_working_days() -> None:
    assert calendar.is_working_day(date(2026, 11, 27))  # Friday
    assert not calendar.is_working_day(date(2026, 11, 28))  # Saturday
    assert not calendar.is_working_day(date(2026, 9, 2))  # National Day
    assert not calendar.is_working_day(date(2026, 4, 30))


def test_make_up_saturday_is_a_working_day_and_its_swap_is_off() -> None:
    assert calendar.is_working_day(date(2026, 8, 22))
    assert not calendar.is_working_day(date(2026, 8, 31))


def test_deadline_jumps_over_tet_2027() -> None:
    # Received Wed 3 Feb 2027: Tết closes Thu 4 Feb – Wed 10 Feb (with the weekend).
    due = calendar.due_at(vn(2027, 2, 3, 9, 0), 3)
    assert due.date() == date(2027, 2, 15)  # Thu 11, Fri 12, Mon 15
    assert due.time() == time(17, 0)


def test_deadline_over_reunification_and_labour_day_2027() -> None:
    # Thu 29 Apr 2027 + 2 working days: Fri 30/4 and Sat 1/5 are holidays, Mon 3/5 observed.
    assert calendar.due_at(vn(2027, 4, 29, 10, 0), 2).date() == date(2027, 5, 5)


def test_deadline_counts_the_make_up_saturday() -> None:
    # Fri 21 Aug 2026 + 1 working day = Sat 22 Aug (worked in exchange for Mon 31 Aug).
    assert calendar.due_at(vn(2026, 8, 21, 9, 0), 1).date() == date(2026, 8, 22)
    # Fri 28 Aug + 1 → Tue 1 Sep is National Day too, Wed 2 Sep also; Mon 31 Aug off → Thu 3 Sep.
    assert calendar.due_at(vn(2026, 8, 28, 9, 0), 1).date() == date(2026, 9, 3)


def test_cut_off_moves_receipt_to_next_working_day() -> None:
    same_day = calendar.due_at(vn(2026, 11, 26, 14, 59), 0, cutoff=time(15, 0))
    late = calendar.due_at(vn(2026, 11, 26, 15, 1), 0, cutoff=time(15, 0))
    assert same_day.date() == date(2026, 11, 26)
    assert late.date() == date(2026, 11, 27)


def test_receipt_on_a_sunday_counts_from_monday() -> None:
    assert calendar.due_at(vn(2026, 11, 29, 10, 0), 1).date() == date(2026, 12, 1)


def test_pause_for_the_citizen_extends_the_deadline() -> None:
    due = calendar.due_at(vn(2026, 11, 2, 9, 0), 5)  # Mon 2 Nov → Mon 9 Nov
    assert due.date() == date(2026, 11, 9)
    extended = calendar.extend_for_pause(due, vn(2026, 11, 4, 9, 0), vn(2026, 11, 6, 16, 0))
    assert extended.date() == date(2026, 11, 11)  # two working days (Thu, Fri) lost


def test_overrides_win_over_the_package() -> None:
    emergency = WorkCalendar({date(2026, 11, 27): False, date(2026, 11, 28): True})
    assert not emergency.is_working_day(date(2026, 11, 27))
    assert emergency.is_working_day(date(2026, 11, 28))
