"""Working days as Chinese law counts them (DOMAIN.md §3).

Weekends and official holidays are skipped, official make-up working days (调休) count, and
the day of receipt is not counted: the limit starts the next day. ``chinesecalendar`` holds
the State Council's schedules; for a year it does not cover, a ``Calendar`` falls back to
weekends plus its override file of holidays (and make-up days), and warns once per year.
"""

import functools
import logging
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(23, 59, 59)


class CalendarFileError(ValueError):
    """An override file that cannot be read: a clear message naming the file and entry."""


@dataclass(frozen=True)
class Calendar:
    """Official holidays and 调休; ``holidays``/``workdays`` only apply to uncovered years."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    source: str = "weekends only"
    _warned: set[int] = field(default_factory=set, compare=False, hash=False, repr=False)

    def covers(self, year: int) -> bool:
        """True if the official schedule of ``year`` is known (not a fall-back)."""
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def is_working_day(self, day: date) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            # chinesecalendar only knows the years the State Council has published.
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning("no official holiday calendar for %d: counting weekends and the "
                            "holidays of %s", day.year, self.source)
            if day in self.workdays:
                return True
            return day.weekday() < 5 and day not in self.holidays

    def end_of_working_day_after(self, start: datetime, days: int) -> datetime:
        """The end (23:59:59 in Shanghai) of the ``days``-th working day after ``start``'s day."""
        return _end_of_working_day_after(self, start.astimezone(SHANGHAI).date(), days)

    def _count_from(self, day: date, days: int) -> datetime:
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day, END_OF_DAY, SHANGHAI).astimezone(UTC)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days from ``start`` to ``end`` as the law counts a limit: the start day is
        not counted, the end day is (0 when both fall on the same day)."""
        first = start.astimezone(SHANGHAI).date()
        last = end.astimezone(SHANGHAI).date()
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


def load_calendar(path: Path) -> Calendar:
    """An override file: ``[years.2027] holidays = [...], workdays = [...]`` (ISO dates)."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CalendarFileError(f"{path}: {exc}") from exc
    holidays: set[date] = set()
    workdays: set[date] = set()
    years = data.get("years", {})
    if not isinstance(years, dict) or not all(isinstance(e, dict) for e in years.values()):
        raise CalendarFileError(f"{path}: expected tables [years.YYYY] with holidays/workdays")
    for year, entry in years.items():
        for key, target in (("holidays", holidays), ("workdays", workdays)):
            values = entry.get(key, [])
            if not isinstance(values, list):
                raise CalendarFileError(f"{path}: years.{year}.{key}: expected a list of dates")
            for value in values:
                if isinstance(value, datetime):
                    raise CalendarFileError(f"{path}: years.{year}.{key}: {value} is a time, "
                                            "not a date")
                try:
                    day = value if isinstance(value, date) else date.fromisoformat(str(value))
                except ValueError:
                    raise CalendarFileError(f"{path}: years.{year}.{key}: not a date: {value!r}") from None
                if str(day.year) != str(year):
                    raise CalendarFileError(f"{path}: years.{year}.{key}: {day} is not in {year}")
                target.add(day)
    return Calendar(frozenset(holidays), frozenset(workdays), source=path.name)


DEFAULT_CALENDAR = Calendar()


def is_working_day(day: date) -> bool:
    return DEFAULT_CALENDAR.is_working_day(day)


def end_of_working_day_after(start: datetime, days: int) -> datetime:
    """The end (23:59:59 in Shanghai) of the ``days``-th working day after ``start``'s day."""
    return DEFAULT_CALENDAR.end_of_working_day_after(start, days)


# Every task of a day has the same few time limits: routing asks this for each item it plans.
@functools.lru_cache(maxsize=4096)
def _end_of_working_day_after(calendar: Calendar, day: date, days: int) -> datetime:
    return calendar._count_from(day, days)
