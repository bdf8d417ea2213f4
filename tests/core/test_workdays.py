"""Working-day arithmetic around Tết 2027, 30/4–1/5, 2/9 and make-up Saturdays."""

from __future__ import annotations

from datetime import date, datetime, time

from smartcity.core.clock import VN_TZ
from smartcity.core.workdays import DurationUnit, WorkCalendar, add_months

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


# --- per-procedure units (hours, days, working days, months) with cut-off and pauses ---


def test_working_day_deadline_after_the_cut_off_across_tet_2027() -> None:
    # Wed 3 Feb 2027 at 15:30, cut-off 15:00: counting starts Thu 4 Feb, which is Tết;
    # the first working day is Thu 11 Feb, so "same day" (0 days) becomes Thu 11 Feb.
    due = calendar.deadline(vn(2027, 2, 3, 15, 30), 0, DurationUnit.working_days, cutoff=time(15))
    assert due.date() == date(2027, 2, 11)
    before = calendar.deadline(vn(2027, 2, 3, 14, 0), 0, DurationUnit.working_days, cutoff=time(15))
    assert before.date() == date(2027, 2, 3)


def test_calendar_days_ending_on_a_holiday_move_to_the_next_working_day() -> None:
    # Mon 26 Apr 2027 + 4 days = Fri 30 Apr (Reunification Day) → Sat 1/5 holiday, Sun,
    # Mon 3/5 observed → Tue 4 May.
    due = calendar.deadline(vn(2027, 4, 26, 9, 0), 4, DurationUnit.days)
    assert due.date() == date(2027, 5, 4)


def test_month_deadline_clamps_and_skips_national_day_2027() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    # Mon 2 Aug 2027 + 1 month = Thu 2 Sep (National Day), Fri 3 Sep too → Mon 6 Sep.
    due = calendar.deadline(vn(2027, 8, 2, 9, 0), 1, DurationUnit.months)
    assert due.date() == date(2027, 9, 6)


def test_hour_deadline_runs_on_the_clock() -> None:
    due = calendar.deadline(vn(2026, 11, 27, 16, 0), 8, DurationUnit.hours)
    assert due == vn(2026, 11, 28, 0, 0)


def test_make_up_saturday_counts_with_a_cut_off() -> None:
    # Fri 21 Aug 2026 at 16:00 after a 15:00 cut-off: counting starts Sat 22 Aug, a make-up
    # working Saturday, so one working day later is Mon 24 Aug.
    due = calendar.deadline(vn(2026, 8, 21, 16, 0), 1, DurationUnit.working_days, cutoff=time(15))
    assert due.date() == date(2026, 8, 24)


def test_supplement_pause_over_tet_2027_pushes_the_deadline_by_the_working_days_lost() -> None:
    # Accepted Mon 1 Feb 2027, 5 working days: Tue 2, Wed 3, Thu 11, Fri 12, Mon 15 Feb.
    due = calendar.deadline(vn(2027, 2, 1, 9, 0), 5, DurationUnit.working_days)
    assert due.date() == date(2027, 2, 15)
    # Supplement requested Wed 3 Feb, answered Fri 12 Feb: Thu 11 and Fri 12 were lost
    # (the Tết days in between were never counted).
    extended = calendar.extend_for_pause(due, vn(2027, 2, 3, 10, 0), vn(2027, 2, 12, 10, 0))
    assert extended.date() == date(2027, 2, 17)


def test_fee_pause_over_30_4_and_1_5_2027() -> None:
    due = calendar.deadline(vn(2027, 4, 27, 9, 0), 3, DurationUnit.working_days)
    # Tue 27 Apr + 3: Wed 28, Thu 29, then Fri 30/4, Sat 1/5, Mon 3/5 are off → Tue 4 May.
    assert due.date() == date(2027, 5, 4)
    # Waiting for the fee Thu 29 Apr → Tue 4 May: only Tue 4 May was a working day lost.
    extended = calendar.extend_for_pause(due, vn(2027, 4, 29, 9, 0), vn(2027, 5, 4, 9, 0))
    assert extended.date() == date(2027, 5, 5)
