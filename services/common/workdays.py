"""Working days as Chinese law counts them (DOMAIN.md §3).

Weekends and official holidays are skipped, official make-up working days (调休) count, and
the day of receipt is not counted: the limit starts the next day.
"""

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
_warned: set[int] = set()


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # chinesecalendar only knows the years the State Council has published.
        if day.year not in _warned:
            _warned.add(day.year)
            log.warning("no official holiday calendar for %d: counting weekends only", day.year)
        return day.weekday() < 5


def end_of_working_day_after(start: datetime, days: int) -> datetime:
    """The end (23:59:59 in Shanghai) of the ``days``-th working day after ``start``'s day."""
    day = start.astimezone(SHANGHAI).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return datetime.combine(day, time(23, 59, 59), SHANGHAI).astimezone(UTC)
