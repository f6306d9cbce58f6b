"""The joint meeting's HTTP entry points: its cases, and its decisions on them."""

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from contracts import ITEM_NAMES
from services.accounts.domain import Actor, Role
from services.accounts.http import allow, claimed
from services.common.audit_trail import about, audited
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.common.timefmt import LocalTime
from services.routing import examples
from services.routing.jointmeeting import handlers
from services.routing.jointmeeting.domain import OPEN
from services.routing.jointmeeting.schemas import AssignRequest, ReferRequest
from services.routing.models import JointMeetingCase

CaseId = Annotated[str, Path(min_length=1, max_length=64)]


class CaseRead(BaseModel):
    """A joint-meeting case. Times in Beijing time."""

    model_config = ConfigDict(from_attributes=True)

    case_id: str
    application_id: str
    receipt_no: str
    items: list[str]
    item_names: list[str]
    reason: str
    queued_at: LocalTime
    assign_due_at: LocalTime
    status: Literal["open", "resolved"]
    resolution: Literal["assigned", "referred"] | None
    resolved_to: str | None = Field(description="the department, or the organisation")
    resolved_by: str | None
    resolved_at: LocalTime | None
    note: str | None
    task_id: str | None = Field(description="the task an assignment made")

    @classmethod
    def of(cls, case: JointMeetingCase) -> "CaseRead":
        names = [ITEM_NAMES.get(i, i) for i in case.items]  # type: ignore[call-overload]
        return cls.model_validate({**{c: getattr(case, c) for c in _COLUMNS},
                                   "item_names": names})


_COLUMNS = [f for f in CaseRead.model_fields if f != "item_names"]


_supervisor = allow(Role.supervisor)
Supervisor = Annotated[Actor, Depends(_supervisor)]


def build_router(runtime: Runtime, policy: Policy) -> APIRouter:
    """Supervisors only (the convener's office signs in as one)."""
    router = APIRouter(prefix="/api/v1/joint-meeting", tags=["joint meeting"],
                       dependencies=[Depends(_supervisor)])

    @router.get("", response_model=list[CaseRead], dependencies=[Depends(audited())])
    async def cases(status: Literal["open", "resolved"] = OPEN,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[CaseRead]:
        """The joint meeting's cases, open (the default) or resolved, oldest first."""
        async with runtime.db.reading() as session:
            rows = await session.scalars(
                select(JointMeetingCase).where(JointMeetingCase.status == status)
                .order_by(JointMeetingCase.queued_at, JointMeetingCase.case_id).limit(limit))
            cases = [CaseRead.of(r) for r in rows]
        about(results=len(cases))
        return cases

    @router.post("/{case_id}/assign", response_model=CaseRead)
    async def assign(case_id: CaseId, actor: Supervisor, body: Annotated[
            AssignRequest, Body(openapi_examples=examples.ASSIGN)]) -> CaseRead:
        """Assign the case's items to a department of the region: a new task (TaskAssigned)
        and the application's new routing (ApplicationRouted). 403 unless the caller is a
        supervisor; 409 if the case was resolved otherwise; the same request again answers
        as the first did."""
        by = claimed(actor, by=body.by)
        async with runtime.uow.begin() as tx:
            case = await handlers.assign(tx, case_id, body.department, by, body.note,
                                         policy=policy)
            about(application_id=case.application_id, task_id=case.task_id)
            return CaseRead.of(case)

    @router.post("/{case_id}/refer", response_model=CaseRead)
    async def refer(case_id: CaseId, actor: Supervisor, body: Annotated[
            ReferRequest, Body(openapi_examples=examples.REFER)]) -> CaseRead:
        """Refer the case's items to a charity or social organisation (转介, ItemsReferred).
        403, 409 and repeats as for assign."""
        by = claimed(actor, by=body.by)
        async with runtime.uow.begin() as tx:
            case = await handlers.refer(tx, case_id, body.organisation, by, body.note,
                                        policy=policy)
            about(application_id=case.application_id)
            return CaseRead.of(case)

    return router
