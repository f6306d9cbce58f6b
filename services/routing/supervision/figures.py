"""The figures a township reports when it names slow departments (002 §五): per department,
hand-offs received, decided (on time, late), returned, open, overdue, and handling time in
working days. No I/O."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.common.workdays import Calendar


@dataclass(frozen=True)
class HandoffFacts:
    department: str
    handed_at: datetime
    due_at: datetime
    decided_at: datetime | None
    returned_at: datetime | None


@dataclass
class Figures:
    department: str
    received: int = 0
    decided: int = 0
    decided_on_time: int = 0
    decided_late: int = 0
    returned: int = 0
    open: int = 0
    overdue: int = 0
    average_working_days: float | None = None
    p90_working_days: int | None = None


def p90(values: Sequence[int]) -> int | None:
    """The 90th percentile by the nearest-rank method: the value at rank ⌈0.9·n⌉ of the
    sorted values — always a value that occurred, never interpolated (None if no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def mean(values: Sequence[int]) -> float | None:
    """The arithmetic mean, to two decimals (None if no values)."""
    return round(sum(values) / len(values), 2) if values else None


def by_department(facts: Iterable[HandoffFacts], now: datetime, calendar: Calendar,
                  departments: Iterable[str] = ()) -> list[Figures]:
    """Each department's figures, ``departments`` first (listed even with nothing), then any
    other department the hand-offs name. Handling time runs from the hand-off to the
    decision, in working days as the law counts them (the day of the hand-off not counted)."""
    figures = {d: Figures(d) for d in departments}
    times: dict[str, list[int]] = {}
    for f in facts:
        row = figures.setdefault(f.department, Figures(f.department))
        row.received += 1
        if f.decided_at is not None:
            row.decided += 1
            if f.decided_at <= f.due_at:
                row.decided_on_time += 1
            else:
                row.decided_late += 1
            times.setdefault(f.department, []).append(
                calendar.working_days_between(f.handed_at, f.decided_at))
        elif f.returned_at is not None:
            row.returned += 1
        else:
            row.open += 1
            row.overdue += now > f.due_at
    for department, row in figures.items():
        row.average_working_days = mean(times.get(department, []))
        row.p90_working_days = p90(times.get(department, []))
    return list(figures.values())
