"""Working days as the law counts them: receipt day not counted, holidays and 调休 respected."""

import logging
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from services.common import workdays
from services.common.workdays import end_of_working_day_after

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at_shanghai(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def due_day(result: datetime) -> date:
    """The Shanghai date of a due time, after checking it is the end of that day, in UTC."""
    assert result.utcoffset() == timedelta(0)
    local = result.astimezone(SHANGHAI)
    assert local.time() == time(23, 59, 59)
    return local.date()


def test_national_day_2025_calendar_facts() -> None:
    for n in range(1, 9):
        assert chinese_calendar.is_holiday(date(2025, 10, n))
    assert date(2025, 9, 28).weekday() == 6 and chinese_calendar.is_workday(date(2025, 9, 28))
    assert date(2025, 10, 11).weekday() == 5 and chinese_calendar.is_workday(date(2025, 10, 11))


def test_receipt_on_the_eve_of_national_day() -> None:
    for hour in (0, 9, 17, 23):
        start = at_shanghai(date(2025, 9, 30), hour)
        assert due_day(end_of_working_day_after(start, 1)) == date(2025, 10, 9)
        assert due_day(end_of_working_day_after(start, 2)) == date(2025, 10, 10)
        assert due_day(end_of_working_day_after(start, 3)) == date(2025, 10, 11)  # 调休 Saturday
        assert due_day(end_of_working_day_after(start, 4)) == date(2025, 10, 13)


def test_the_day_of_receipt_is_not_counted() -> None:
    monday = at_shanghai(date(2025, 6, 9), 8)
    assert due_day(end_of_working_day_after(monday, 1)) == date(2025, 6, 10)
    friday = at_shanghai(date(2025, 6, 13), 16)
    assert due_day(end_of_working_day_after(friday, 1)) == date(2025, 6, 16)  # weekend skipped


def test_a_make_up_sunday_counts() -> None:
    saturday = at_shanghai(date(2025, 9, 27))
    assert due_day(end_of_working_day_after(saturday, 1)) == date(2025, 9, 28)
    assert due_day(end_of_working_day_after(saturday, 2)) == date(2025, 9, 29)


def test_the_receipt_day_is_the_shanghai_day() -> None:
    # 2025-09-27T16:30Z is already Sunday 2025-09-28 00:30 in Shanghai, a make-up working day
    start = datetime(2025, 9, 27, 16, 30, tzinfo=UTC)
    assert due_day(end_of_working_day_after(start, 1)) == date(2025, 9, 29)
    # 2025-09-27T15:30Z is still Saturday 23:30 in Shanghai
    start = datetime(2025, 9, 27, 15, 30, tzinfo=UTC)
    assert due_day(end_of_working_day_after(start, 1)) == date(2025, 9, 28)


def test_spring_festival_2026() -> None:
    holidays = [date(2026, 2, 15) + timedelta(days=n) for n in range(9)]  # 02-15 .. 02-23
    assert all(chinese_calendar.is_holiday(d) for d in holidays)
    assert chinese_calendar.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert chinese_calendar.is_workday(date(2026, 2, 28))  # Saturday, 调休

    friday = at_shanghai(date(2026, 2, 13))
    assert due_day(end_of_working_day_after(friday, 1)) == date(2026, 2, 14)
    assert due_day(end_of_working_day_after(friday, 2)) == date(2026, 2, 24)
    for d in holidays:
        assert due_day(end_of_working_day_after(at_shanghai(d), 1)) == date(2026, 2, 24)
    # 02-24 .. 02-27 then make-up Saturday 02-28
    assert due_day(end_of_working_day_after(friday, 6)) == date(2026, 2, 28)
    assert due_day(end_of_working_day_after(friday, 7)) == date(2026, 3, 2)


def test_result_is_end_of_day_in_shanghai_expressed_in_utc() -> None:
    result = end_of_working_day_after(at_shanghai(date(2025, 6, 9)), 1)
    assert result == datetime(2025, 6, 10, 15, 59, 59, tzinfo=UTC)
    assert result.tzinfo is UTC or result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("seed", range(40))
def test_counts_exactly_n_official_working_days(seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 60 * 24 * 600))
    days = rng.randint(1, 25)
    end = due_day(end_of_working_day_after(start, days))
    received = start.astimezone(SHANGHAI).date()
    span = [received + timedelta(days=n) for n in range(1, (end - received).days + 1)]
    assert chinese_calendar.is_workday(end)
    assert sum(chinese_calendar.is_workday(d) for d in span) == days


@pytest.mark.parametrize("seed", range(10))
def test_more_days_never_end_earlier(seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 24 * 600))
    ends = [end_of_working_day_after(start, n) for n in range(1, 30)]
    assert ends == sorted(set(ends))
    assert all(e > start for e in ends)


def test_uncovered_year_falls_back_to_weekends_and_warns(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2031, 1, 1))
    monkeypatch.setattr(workdays, "_warned", set())
    caplog.set_level(logging.WARNING, logger=workdays.__name__)

    # 2031-01-01 is a Wednesday (New Year's Day, but no official calendar for 2031 is known)
    wednesday = at_shanghai(date(2031, 1, 1))
    assert wednesday.weekday() == 2
    assert due_day(end_of_working_day_after(wednesday, 1)) == date(2031, 1, 2)
    assert due_day(end_of_working_day_after(wednesday, 2)) == date(2031, 1, 3)
    assert due_day(end_of_working_day_after(wednesday, 3)) == date(2031, 1, 6)  # weekend skipped
    assert due_day(end_of_working_day_after(wednesday, 10)) == date(2031, 1, 15)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "2031" in r.getMessage()]
    assert len(warnings) == 1  # once per year, not once per day counted
