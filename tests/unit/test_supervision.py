"""Supervision's rules: warning times, escalation levels and their supervisors, extension
limits, and the department figures (mean and nearest-rank p90)."""

import random
from datetime import datetime, timedelta

import pytest

from contracts import Department
from services.common.limits import Limit
from services.common.policy import load_policy
from services.common.workdays import SHANGHAI
from services.routing.supervision import domain, figures
from services.routing.supervision.domain import MAX_LEVEL, Stage
from tests.unit.test_routing_domain import small_policy

POLICY = load_policy("default")


def bj(*args: int) -> datetime:
    """A moment in Beijing time."""
    return datetime(*args, tzinfo=SHANGHAI)


def end_of(year: int, month: int, day: int) -> datetime:
    return bj(year, month, day, 23, 59, 59)


def stage(kind: str = "decide", *, start: datetime, due: datetime, limit: Limit,
          department: Department | None = Department.civil_affairs) -> Stage:
    return Stage(kind=kind, subject="t1", application_id="a1", receipt_no="YD1",  # type: ignore[arg-type]
                 task_id="t1", department=department, items=("dibao",), start=start, due=due,
                 limit=limit)


def levels(s: Stage, upto: int) -> list[datetime]:
    return [domain.level_due(s, n, POLICY.calendar) for n in range(1, upto + 1)]


def test_a_working_day_limit_escalates_again_after_each_further_limit_across_holidays() -> None:
    # 低保, 20 working days from Monday 14 September 2026: the make-up Sunday (20 Sep) counts,
    # the Mid-autumn and National Day holidays do not; then 20 more for level 2.
    start = bj(2026, 9, 14, 9, 0)
    due = POLICY.due_at("dibao", start)
    assert due == end_of(2026, 10, 16)
    s = stage(start=start, due=due, limit=POLICY.limit_of("dibao"))
    assert levels(s, 2) == [end_of(2026, 10, 16), end_of(2026, 11, 13)]
    cal = POLICY.calendar
    assert domain.level_reached(s, due, cal) == 0  # due at the last second of the day
    assert domain.level_reached(s, due + timedelta(seconds=1), cal) == 1
    assert domain.level_reached(s, end_of(2026, 11, 13), cal) == 1
    assert domain.level_reached(s, bj(2026, 11, 14, 0, 0), cal) == 2


def test_the_accept_limit_skips_the_national_day_week_and_counts_the_make_up_saturday() -> None:
    handed = bj(2026, 9, 30, 10, 0)
    s = stage("accept", start=handed, due=POLICY.accept_due_at(handed),
              limit=POLICY.supervision.accept)
    assert levels(s, 4) == [end_of(2026, 10, 8), end_of(2026, 10, 9), end_of(2026, 10, 10),
                            end_of(2026, 10, 12)]


def test_an_hour_limit_warns_at_three_quarters_and_escalates_every_24_hours() -> None:
    start = bj(2026, 9, 30, 10, 0)  # emergency aid: 24 hours, holidays or not
    s = stage(start=start, due=POLICY.due_at("emergency_aid", start),
              limit=POLICY.limit_of("emergency_aid"))
    assert domain.warn_time(s, POLICY.supervision.warn_at) == bj(2026, 10, 1, 4, 0)
    assert levels(s, 3) == [bj(2026, 10, 1, 10), bj(2026, 10, 2, 10), bj(2026, 10, 3, 10)]


def _due(s: Stage, now: datetime, raised: set[int] | None = None) -> list[tuple[int, str]]:
    return [(p.level, p.supervisor) for p in domain.alerts_due(s, now, POLICY, raised or set())]


def test_alerts_due_warn_once_then_escalate_up_the_chain() -> None:
    start = bj(2026, 9, 30, 10, 0)
    s = stage(start=start, due=start + timedelta(hours=24), limit=Limit(hours=24))
    assert _due(s, bj(2026, 10, 1, 3, 59)) == []
    assert _due(s, bj(2026, 10, 1, 4, 0)) == [(0, "center_director")]
    assert _due(s, bj(2026, 10, 1, 9, 0), raised={0}) == []
    # Past due: level 1 to the first supervisor; the warning's moment has gone.
    assert _due(s, bj(2026, 10, 1, 10, 1)) == [(1, "center_director")]
    assert _due(s, bj(2026, 10, 2, 10, 1), raised={0, 1}) == [(2, "deputy_head")]
    # A scan that missed several limits raises each, the last supervisor for the rest.
    assert _due(s, bj(2026, 10, 3, 10, 1), raised={0}) == [
        (1, "center_director"), (2, "deputy_head"), (3, "deputy_head")]
    assert _due(s, bj(2026, 10, 3, 10, 1), raised={0, 1, 2, 3}) == []


def test_a_department_with_its_own_supervisor_hears_first() -> None:
    policy = small_policy()
    start = bj(2026, 9, 30, 10, 0)
    s = stage(start=start, due=start + timedelta(hours=2), limit=Limit(hours=2),
              department=Department.medical)
    got = [(p.level, p.supervisor) for p in domain.alerts_due(s, start + timedelta(hours=7),
                                                               policy, set())]
    assert got == [(1, "medical_chief"), (2, "director"), (3, "deputy")]
    warned = domain.alerts_due(s, start + timedelta(hours=1, minutes=30), policy, set())
    assert [(p.level, p.supervisor) for p in warned] == [(0, "medical_chief")]
    # A joint-meeting case has no department: the supervisors' chain.
    case = stage("assign", start=start, due=start + timedelta(hours=2), limit=Limit(hours=2),
                 department=None)
    assert domain.alerts_due(case, start + timedelta(hours=3), policy, set())[0].supervisor == (
        "director")


def test_levels_stop_at_the_cap() -> None:
    start = bj(2026, 3, 2, 9, 0)
    s = stage(start=start, due=start + timedelta(minutes=30), limit=Limit(minutes=30))
    assert domain.level_reached(s, start + timedelta(days=30), POLICY.calendar) == MAX_LEVEL


def test_alert_ids_are_one_per_stage_subject_and_level() -> None:
    ids = {domain.alert_id(k, s, n) for k in ("accept", "decide") for s in ("t1", "t2")
           for n in range(4)}
    assert len(ids) == 16
    assert domain.alert_id("accept", "t1", 2) == domain.alert_id("accept", "t1", 2)


def test_extensions_stay_within_the_policy_in_all() -> None:
    due = end_of(2026, 3, 30)
    # 低保: at most 10 working days in all, counted from the due time before any extension.
    # Ten working days after Monday 30 March 2026, Qingming (4-6 April) not counted: 14 April.
    domain.check_extension(["dibao"], due, end_of(2026, 4, 14), POLICY)
    with pytest.raises(domain.ExtensionRefused) as exc:
        domain.check_extension(["dibao"], due, end_of(2026, 4, 15), POLICY)
    assert "10个工作日" in exc.value.reason_zh and "10 working days" in exc.value.reason
    # Days or hours given instead: the same ceiling.
    domain.check_extension(["dibao", "tekun"], due, due + timedelta(hours=48), POLICY)


@pytest.mark.parametrize("items", [["medical_aid"], ["dibao", "temporary_aid"]])
def test_an_item_without_an_extension_in_the_policy_cannot_be_extended(items: list[str]) -> None:
    due = end_of(2026, 3, 30)
    with pytest.raises(domain.ExtensionRefused) as exc:
        domain.check_extension(items, due, due + timedelta(hours=1), POLICY)
    assert "不允许延期" in exc.value.reason_zh


@pytest.mark.parametrize(("values", "expected"), [
    ([], None), ([7], 7), ([3, 1, 2], 3), (list(range(1, 11)), 9), (list(range(1, 21)), 18),
    ([1] * 9 + [30], 1), ([1] * 8 + [30, 40], 30),
])
def test_p90_is_the_nearest_rank(values: list[int], expected: int | None) -> None:
    shuffled = list(values)
    random.Random(1).shuffle(shuffled)
    assert figures.p90(shuffled) == expected


def test_mean_to_two_decimals() -> None:
    assert figures.mean([]) is None
    assert figures.mean([1, 2, 2]) == 1.67


def test_department_figures() -> None:
    monday = bj(2026, 3, 2, 9, 0)
    due = end_of(2026, 3, 6)
    now = bj(2026, 3, 10, 9, 0)
    facts = [
        figures.HandoffFacts("education", monday, due, bj(2026, 3, 3, 9, 0), None),  # 1 wd
        figures.HandoffFacts("education", monday, due, bj(2026, 3, 6, 9, 0), None),  # 4 wd
        figures.HandoffFacts("education", monday, due, bj(2026, 3, 9, 9, 0), None),  # late, 5
        figures.HandoffFacts("education", monday, due, None, None),  # open, overdue
        figures.HandoffFacts("education", monday, end_of(2026, 3, 20), None, None),  # open
        figures.HandoffFacts("education", monday, due, None, bj(2026, 3, 3, 9, 0)),  # returned
        figures.HandoffFacts("housing", monday, due, bj(2026, 3, 2, 15, 0), None),  # 0 wd
    ]
    rows = {r.department: r for r in figures.by_department(facts, now, POLICY.calendar,
                                                           ["civil_affairs", "education"])}
    assert list(rows) == ["civil_affairs", "education", "housing"]
    assert vars(rows["civil_affairs"]) == vars(figures.Figures("civil_affairs"))
    edu = rows["education"]
    assert (edu.received, edu.decided, edu.decided_on_time, edu.decided_late, edu.returned,
            edu.open, edu.overdue) == (6, 3, 2, 1, 1, 2, 1)
    assert (edu.average_working_days, edu.p90_working_days) == (3.33, 5)
    assert (rows["housing"].average_working_days, rows["housing"].p90_working_days) == (0.0, 0)
