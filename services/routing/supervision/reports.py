"""Supervision's reports, read from the ledger: what is overdue now, and each department's
figures over a period."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import DEPARTMENT_NAMES
from services.common.policy import Policy
from services.common.workdays import SHANGHAI
from services.routing.models import TASK, Handoff
from services.routing.supervision import domain, figures
from services.routing.supervision.schemas import DepartmentFigures, OverdueStage
from services.routing.supervision.stages import open_stages


def _name(department: str | None) -> str | None:
    if department is None:
        return None
    return DEPARTMENT_NAMES.get(department, department)  # type: ignore[call-overload]


async def overdue(session: AsyncSession, policy: Policy, now: datetime) -> list[OverdueStage]:
    """Every open stage past its due time, the longest overdue first."""
    late = sorted((s for s in await open_stages(session, policy) if now > s.due),
                  key=lambda s: (s.due, s.subject, s.kind))
    out = []
    for s in late:
        level = domain.level_reached(s, now, policy.calendar)
        out.append(OverdueStage(
            stage=s.kind, application_id=s.application_id, receipt_no=s.receipt_no,
            task_id=s.task_id, case_id=s.subject if s.kind == "assign" else None,
            department=s.department, department_name=_name(s.department), items=list(s.items),
            due_at=s.due, overdue_hours=round((now - s.due).total_seconds() / 3600, 1),
            overdue_working_days=policy.calendar.working_days_between(s.due, now),
            escalation_level=level, supervisor=policy.supervisor(level, s.department)))
    return out


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)


async def departments(session: AsyncSession, policy: Policy, now: datetime,
                      since: date | None, until: date | None) -> list[DepartmentFigures]:
    """Each department's figures for the hand-offs made from ``since`` to ``until`` (whole
    days in Beijing time, both included; open-ended when not given); open and overdue as of
    ``now``. Every department of the region is listed, with nothing or not."""
    query = select(Handoff.to_department, Handoff.handed_at, Handoff.due_at, Handoff.decided_at,
                   Handoff.returned_at).where(Handoff.kind == TASK)
    if since is not None:
        query = query.where(Handoff.handed_at >= _day_start(since))
    if until is not None:
        query = query.where(Handoff.handed_at < _day_start(until + timedelta(days=1)))
    facts = [figures.HandoffFacts(*row) for row in await session.execute(query)]
    rows = figures.by_department(facts, now, policy.calendar, [str(d) for d in policy.departments])
    return [DepartmentFigures(department_name=_name(r.department) or r.department,
                              **vars(r)) for r in rows]
