"""Supervision's HTTP entry points: extensions, and the overdue, alert and department reports."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query
from sqlalchemy import select

from services.accounts.domain import Actor, Role
from services.accounts.http import allow, claimed
from services.common.audit_trail import about
from services.common.errors import ApiError
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.routing import examples, ledger
from services.routing.models import Alert
from services.routing.supervision import handlers, reports
from services.routing.supervision.schemas import (
    AlertRead,
    DepartmentReport,
    ExtensionCreate,
    ExtensionRead,
    OverdueStage,
)

_supervisor = allow(Role.supervisor)
Supervisor = Annotated[Actor, Depends(_supervisor)]


def build_router(runtime: Runtime, policy: Policy) -> APIRouter:
    """Supervisors only."""
    router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"],
                       dependencies=[Depends(_supervisor)])

    @router.post("/extensions", response_model=ExtensionRead, status_code=201)
    async def extend(actor: Supervisor, body: Annotated[
            ExtensionCreate, Body(openapi_examples=examples.EXTENSION)]) -> ExtensionRead:
        """Extend a task's time limit by working days, days or hours, approved by the signed-in
        supervisor (403 for any other role); all extensions of a task together stay within
        the policy's ``extension`` of its items (422). Publishes TaskDeadlineExtended."""
        approved_by = claimed(actor, approved_by=body.approved_by)
        about(task_id=body.task_id)
        async with runtime.uow.begin() as tx:
            extension = await handlers.extend_deadline(
                tx, body.task_id, body.extend_by.limit(), approved_by, body.reason,
                policy=policy)
            about(application_id=extension.application_id)
            return ExtensionRead.model_validate(extension)

    @router.get("/overdue", response_model=list[OverdueStage])
    async def overdue() -> list[OverdueStage]:
        """Every open stage (assign, accept, decide, paperwork) past its due time now, the
        longest overdue first, with the escalation level reached and who it goes to."""
        async with runtime.db.reading() as session:
            return await reports.overdue(session, policy, runtime.clock.now())

    @router.get("/alerts", response_model=list[AlertRead])
    async def alerts(application_id: Annotated[str | None, Query(max_length=64)] = None,
                     limit: Annotated[int, Query(ge=1, le=5000)] = 1000) -> list[AlertRead]:
        """The alerts raised (warnings and escalations), newest first; of one application
        if ``application_id`` is given."""
        query = select(Alert).order_by(Alert.raised_at.desc(), Alert.level.desc()).limit(limit)
        if application_id is not None:
            query = query.where(Alert.application_id == application_id)
        async with runtime.db.reading() as session:
            return [AlertRead.model_validate(a) for a in await session.scalars(query)]

    @router.get("/departments", response_model=DepartmentReport)
    async def departments(
        since: Annotated[date | None, Query(description="first day (Beijing time)")] = None,
        until: Annotated[date | None, Query(description="last day, included")] = None,
    ) -> DepartmentReport:
        """Per department, for the hand-offs made in the period (all if not given): received,
        decided (on time, late), returned, open and overdue now, and handling time in
        working days (mean, and p90 by the nearest-rank method) — the figures a township
        reports when it names slow departments (002 §五)."""
        problems = _period_problems(since, until)
        if problems:
            raise ApiError(422, "validation_failed", "The report period is invalid.",
                           "统计期间有误。", problems)
        now = runtime.clock.now()
        async with runtime.db.reading() as session:
            rows = await reports.departments(session, policy, now, since, until)
        return DepartmentReport(since=since, until=until, generated_at=now, departments=rows)

    return router


def _period_problems(since: date | None, until: date | None) -> list[dict[str, str]]:
    problems = []
    for field, day in (("since", since), ("until", until)):
        if day is not None and not ledger.EARLIEST <= day <= ledger.LATEST:
            problems.append({"field": field,
                             "reason": f"must be between {ledger.EARLIEST} and {ledger.LATEST}",
                             "reason_zh": f"日期须在 {ledger.EARLIEST} 至 {ledger.LATEST} 之间"})
    if not problems and since and until and until < since:
        problems.append({"field": "until", "reason": "must not be before since",
                         "reason_zh": "结束日期不能早于开始日期"})
    return problems
