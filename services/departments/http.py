"""A department's staff API: its own tasks only; accept, review, decide, return them, ask for
materials, complete emergency paperwork. Each route translates and calls one handler."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from sqlalchemy import func, select

from contracts import Department
from services.accounts.domain import Actor, Role
from services.accounts.http import claimed, own_department
from services.common.audit_trail import about, audited
from services.common.errors import ApiError
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.common.tracing import DEPARTMENT, request_attributes
from services.departments import examples, handlers, handoffs
from services.departments.domain import (
    OPEN_STATUSES,
    Decision,
    MaterialsRequest,
    Return,
    TaskRuleError,
    TaskStatus,
)
from services.departments.models import Task, TaskHistory
from services.departments.posts import PostNotFound
from services.departments.rules import rules_for
from services.departments.rules.privacy import masked_applicant, needed_fields
from services.departments.schemas import (
    AcceptRequest,
    DecisionRequest,
    HistoryRead,
    MaterialsRequestBody,
    PaperworkRequest,
    ReturnRequest,
    ReviewRequest,
    TaskPage,
    TaskRead,
)
from services.departments.tasks import TaskNotFound

Id = Annotated[str, Path(min_length=1, max_length=64)]


def build_router(runtime: Runtime, department: Department, policy: Policy) -> APIRouter:
    """The department's own staff only; supervisors may read (``own_department``)."""
    guard = own_department(str(department))
    Staff = Annotated[Actor, Depends(guard)]
    router = APIRouter(prefix="/api/v1", tags=[f"department {department}"], dependencies=[
        Depends(request_attributes({DEPARTMENT: str(department)})), Depends(guard)])

    def read(task: Task, actor: Actor) -> TaskRead:
        """The task, as ``shown``, for a request about this one task (its audit row names the
        task's application)."""
        about(application_id=task.application_id, task_id=task.id)
        return shown(task, actor)

    def shown(task: Task, actor: Actor) -> TaskRead:
        """The task as ``actor`` may see it: of the applicant, a department's staff see in
        full only what the task's items need (region policy); supervisors everything."""
        rules = rules_for(policy, task.items)
        applicant = task.applicant
        if actor.role == Role.department:
            applicant = masked_applicant(applicant, needed_fields(policy, task.items))
        return TaskRead.model_validate({
            **task.__dict__, "applicant": applicant, "department": department,
            "materials_requested": task.materials_requests or [],
            "separation_of_duties": rules.separation_of_duties,
            "emergency_cap_yuan": rules.emergency_cap_yuan})

    reads = [Depends(audited())]  # each call leaves an audit row (common/audit_trail.py)

    @router.get("/tasks", response_model=TaskPage, dependencies=reads)
    async def tasks(
        actor: Staff,
        status: TaskStatus | None = None,
        assignee: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
        open_: Annotated[bool | None, Query(alias="open")] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> TaskPage:
        """This department's tasks, the ones due first at the top; ``open=true``: those still
        to handle (not returned nor decided); ``assignee``: the ones someone holds."""
        query = select(Task)
        if status:
            query = query.where(Task.status == status)
        if assignee:
            query = query.where(Task.assignee == assignee)
        if open_ is not None:
            is_open = Task.status.in_(OPEN_STATUSES)
            query = query.where(is_open if open_ else ~is_open)
        async with runtime.db.reading() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = (await session.scalars(query.order_by(Task.due_at, Task.id)
                                          .offset(offset).limit(limit))).all()
        about(results=len(rows))
        return TaskPage(items=[shown(t, actor) for t in rows], total=total or 0,
                        offset=offset, limit=limit)

    @router.get("/tasks/{task_id}", response_model=TaskRead, dependencies=reads)
    async def task(task_id: Id, actor: Staff) -> TaskRead:
        async with runtime.db.reading() as session:
            found = await session.get(Task, task_id)
        if found is None:
            raise _not_found()
        return read(found, actor)

    @router.get("/tasks/{task_id}/history", response_model=list[HistoryRead], dependencies=reads)
    async def history(task_id: Id) -> list[HistoryRead]:
        """Every change to the task, oldest first: who, when, what and why."""
        async with runtime.db.reading() as session:
            if (task := await session.get(Task, task_id)) is None:
                raise _not_found()
            about(application_id=task.application_id)
            rows = await session.scalars(select(TaskHistory).where(TaskHistory.task_id == task_id)
                                         .order_by(TaskHistory.id))
            return [HistoryRead.model_validate(r) for r in rows]

    @router.post("/tasks/{task_id}/accept", response_model=TaskRead)
    async def accept(task_id: Id, actor: Staff, body: Annotated[
            AcceptRequest, Body(openapi_examples=examples.ACCEPT)]) -> TaskRead:
        """Take the task on (受理), as the signed-in account; the window sees who has it."""
        by = claimed(actor, by=body.by)
        async with translated(), runtime.uow.begin() as tx:
            return read(await handlers.accept_task(tx, department, task_id, by), actor)

    @router.post("/tasks/{task_id}/review", response_model=TaskRead)
    async def review(task_id: Id, actor: Staff, body: Annotated[
            ReviewRequest, Body(openapi_examples=examples.REVIEW)]) -> TaskRead:
        """初审 of a task needing separation of duties: not by the account that accepted it."""
        by = claimed(actor, by=body.by)
        async with translated(), runtime.uow.begin() as tx:
            return read(await handlers.review_task(tx, task_id, by, body.opinion,
                                                   policy=policy), actor)

    @router.post("/tasks/{task_id}/decision", response_model=TaskRead)
    async def decide(task_id: Id, actor: Staff, body: Annotated[
            DecisionRequest, Body(openapi_examples=examples.DECISION)]) -> TaskRead:
        """Approve or reject (with the reason in writing); the result goes back to the window.
        With separation of duties, this is the confirmation (审核确认) by a third account."""
        decided_by = claimed(actor, decided_by=body.decided_by)
        decision = Decision(body.outcome, body.reason, body.amount, decided_by,
                            body.paperwork_pending)
        async with translated(), runtime.uow.begin() as tx:
            return read(await handlers.decide_task(tx, department, task_id, decision,
                                                   policy=policy), actor)

    @router.post("/tasks/{task_id}/return", response_model=TaskRead)
    async def return_(task_id: Id, actor: Staff, body: Annotated[
            ReturnRequest, Body(openapi_examples=examples.RETURN)]) -> TaskRead:
        """Not this department's: back to routing, with the reason (before a decision)."""
        new = Return(claimed(actor, by=body.by), body.reason, body.suggested_department)
        async with translated(), runtime.uow.begin() as tx:
            return read(await handoffs.return_task(tx, department, task_id, new, policy=policy),
                        actor)

    @router.post("/tasks/{task_id}/materials-request", response_model=TaskRead)
    async def materials_request(task_id: Id, actor: Staff, body: Annotated[
            MaterialsRequestBody, Body(openapi_examples=examples.MATERIALS_REQUEST)]) -> TaskRead:
        """Ask, through the window, for every material still needed, at once."""
        new = MaterialsRequest(claimed(actor, by=body.by), tuple(body.codes()), body.note)
        async with translated(), runtime.uow.begin() as tx:
            return read(await handoffs.request_materials(tx, department, task_id, new,
                                                         policy=policy), actor)

    @router.post("/tasks/{task_id}/paperwork", response_model=TaskRead)
    async def paperwork(task_id: Id, actor: Staff, body: Annotated[
            PaperworkRequest, Body(openapi_examples=examples.PAPERWORK)]) -> TaskRead:
        """The paperwork of emergency aid given before it is complete."""
        by = claimed(actor, by=body.by)
        async with translated(), runtime.uow.begin() as tx:
            return read(await handlers.complete_paperwork(tx, department, task_id, by), actor)

    return router


def _not_found() -> ApiError:
    return ApiError(404, "task_not_found", "No task with this id in this department.",
                    "本部门没有该任务。")


class translated:
    """Turn the domain's refusals into HTTP errors (after the transaction rolled back)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, TaskNotFound):
            raise _not_found() from exc
        if isinstance(exc, PostNotFound):
            raise ApiError(404, "post_not_found", "No post with this code in this department.",
                           "本部门没有该岗位。") from exc
        if isinstance(exc, TaskRuleError):
            status = 422 if exc.fields else 409
            fields = [{"field": f, "reason": r, "reason_zh": z} for f, r, z in exc.fields]
            raise ApiError(status, exc.code, exc.message, exc.message_zh, fields) from exc
