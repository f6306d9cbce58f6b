"""Working days as the law counts them: receipt day not counted, holidays and 调休 respected,
and a fall-back calendar (weekends plus an override file) for years chinesecalendar lacks."""

import logging
import random
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from services.common.policy import POLICY_DIR
from services.common.workdays import (
    Calendar,
    CalendarFileError,
    end_of_working_day_after,
    load_calendar,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICIAL = Calendar()


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


def test_spring_festival_2026_calendar_facts() -> None:
    for n in range(15, 24):
        assert chinese_calendar.is_holiday(date(2026, 2, n))
    for make_up in (date(2026, 2, 14), date(2026, 2, 28)):
        assert make_up.weekday() == 5 and chinese_calendar.is_workday(make_up)


def test_receipt_on_the_eve_of_national_day() -> None:
    for hour in (0, 9, 17, 23):
        start = at_shanghai(date(2025, 9, 30), hour)
        assert due_day(end_of_working_day_after(start, 1)) == date(2025, 10, 9)
        assert due_day(end_of_working_day_after(start, 2)) == date(2025, 10, 10)
        assert due_day(end_of_working_day_after(start, 3)) == date(2025, 10, 11)  # 调休 Saturday
        assert due_day(end_of_working_day_after(start, 4)) == date(2025, 10, 13)
    assert end_of_working_day_after(at_shanghai(date(2025, 9, 30), 17), 1) == datetime(
        2025, 10, 9, 23, 59, 59, tzinfo=SHANGHAI)


def test_the_day_of_receipt_is_not_counted() -> None:
    monday = at_shanghai(date(2025, 6, 9), 8)
    assert due_day(end_of_working_day_after(monday, 1)) == date(2025, 6, 10)
    late_monday = at_shanghai(date(2025, 6, 9), 23, 59)
    assert due_day(end_of_working_day_after(late_monday, 1)) == date(2025, 6, 10)
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
    friday = at_shanghai(date(2026, 2, 13))
    assert due_day(end_of_working_day_after(friday, 1)) == date(2026, 2, 14)  # make-up Saturday
    assert due_day(end_of_working_day_after(friday, 2)) == date(2026, 2, 24)
    for n in range(15, 24):
        assert due_day(end_of_working_day_after(at_shanghai(date(2026, 2, n)), 1)) == date(2026, 2, 24)
    # 02-24 .. 02-27, then make-up Saturday 02-28
    assert due_day(end_of_working_day_after(friday, 6)) == date(2026, 2, 28)
    assert due_day(end_of_working_day_after(friday, 7)) == date(2026, 3, 2)


def test_result_is_end_of_day_in_shanghai_expressed_in_utc() -> None:
    result = end_of_working_day_after(at_shanghai(date(2025, 6, 9)), 1)
    assert result == datetime(2025, 6, 10, 15, 59, 59, tzinfo=UTC)
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize("seed", range(40))
def test_counts_exactly_n_official_working_days(seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 60 * 24 * 690))
    days = rng.randint(1, 25)
    end = due_day(OFFICIAL.end_of_working_day_after(start, days))
    received = start.astimezone(SHANGHAI).date()
    span = [received + timedelta(days=n) for n in range(1, (end - received).days + 1)]
    assert chinese_calendar.is_workday(end)
    assert sum(chinese_calendar.is_workday(d) for d in span) == days
    assert OFFICIAL.working_days_between(start, OFFICIAL.end_of_working_day_after(start, days)) == days


@pytest.mark.parametrize("seed", range(10))
def test_more_days_never_end_earlier(seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 24 * 600))
    ends = [end_of_working_day_after(start, n) for n in range(1, 30)]
    assert ends == sorted(set(ends))
    assert all(e > start for e in ends)


def test_working_days_between_same_day_is_zero() -> None:
    start = at_shanghai(date(2025, 6, 9), 8)
    assert OFFICIAL.working_days_between(start, at_shanghai(date(2025, 6, 9), 18)) == 0
    assert OFFICIAL.working_days_between(at_shanghai(date(2025, 9, 30)),
                                         at_shanghai(date(2025, 10, 9))) == 1


def write_override(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_2027_is_not_covered_by_the_pinned_calendar() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))
    assert OFFICIAL.covers(2026) and not OFFICIAL.covers(2027)


def test_fallback_year_skips_listed_holidays_and_counts_listed_make_up_days(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # 2027-10-01 is a Friday; a (made-up) schedule: holiday Oct 1-7, make-up Saturday Oct 9.
    assert date(2027, 10, 1).weekday() == 4 and date(2027, 10, 9).weekday() == 5
    calendar = load_calendar(write_override(tmp_path, """
[years.2027]
holidays = ["2027-10-01", "2027-10-04", "2027-10-05", "2027-10-06", "2027-10-07"]
workdays = ["2027-10-09"]
"""))
    caplog.set_level(logging.WARNING, logger="services.common.workdays")
    eve = at_shanghai(date(2027, 9, 30), 17)
    assert due_day(calendar.end_of_working_day_after(eve, 1)) == date(2027, 10, 8)
    assert due_day(calendar.end_of_working_day_after(eve, 2)) == date(2027, 10, 9)  # make-up
    assert due_day(calendar.end_of_working_day_after(eve, 3)) == date(2027, 10, 11)
    for n in range(10):
        calendar.end_of_working_day_after(eve + timedelta(days=n), 5)
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1  # once per year, not once per day counted
    assert "holidays.toml" in warnings[0].getMessage()


def test_fallback_without_an_override_counts_weekdays() -> None:
    wednesday = at_shanghai(date(2031, 1, 1))
    assert wednesday.weekday() == 2
    assert due_day(OFFICIAL.end_of_working_day_after(wednesday, 1)) == date(2031, 1, 2)
    assert due_day(OFFICIAL.end_of_working_day_after(wednesday, 3)) == date(2031, 1, 6)
    assert due_day(OFFICIAL.end_of_working_day_after(wednesday, 10)) == date(2031, 1, 15)


def test_the_override_never_changes_a_covered_year(tmp_path: Path) -> None:
    calendar = load_calendar(write_override(tmp_path, '[years.2025]\nholidays = ["2025-06-10"]\n'))
    monday = at_shanghai(date(2025, 6, 9))
    assert due_day(calendar.end_of_working_day_after(monday, 1)) == date(2025, 6, 10)


def test_the_shipped_override_lists_2027_national_day() -> None:
    calendar = load_calendar(POLICY_DIR / "holidays.toml")
    assert {date(2027, 10, 1), date(2027, 10, 2), date(2027, 10, 3)} <= calendar.holidays


@pytest.mark.parametrize(("text", "words"), [
    ("[years.2027\nholidays = []\n", ["holidays.toml", "line 1"]),
    ('[years.2027]\nholidays = ["2027-13-01"]\n', ["years.2027.holidays", "2027-13-01"]),
    ('[years.2027]\nworkdays = ["2026-10-10"]\n', ["years.2027.workdays", "not in 2027"]),
])
def test_a_bad_override_file_is_a_clear_error(tmp_path: Path, text: str, words: list[str]) -> None:
    with pytest.raises(CalendarFileError) as exc:
        load_calendar(write_override(tmp_path, text))
    for word in words:
        assert word in str(exc.value)


def test_a_missing_override_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match=r"nowhere\.toml"):
        load_calendar(tmp_path / "nowhere.toml")
