"""A department's staff API: its own tasks only; accept and decide them."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import func, select

from contracts import Department
from services.common.http import ApiError
from services.common.runtime import Runtime
from services.departments import handlers
from services.departments.domain import Decision, TaskRuleError, TaskStatus
from services.departments.models import Task
from services.departments.schemas import AcceptRequest, DecisionRequest, TaskPage, TaskRead

Id = Annotated[str, Path(min_length=1, max_length=64)]


def build_router(runtime: Runtime, department: Department) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=[f"department {department}"])

    def read(task: Task) -> TaskRead:
        return TaskRead.model_validate({**task.__dict__, "department": department})

    @router.get("/tasks", response_model=TaskPage)
    async def tasks(
        status: TaskStatus | None = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> TaskPage:
        """This department's tasks, the ones due first at the top."""
        query = select(Task)
        if status:
            query = query.where(Task.status == status)
        async with runtime.db.reading() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(query.order_by(Task.due_at, Task.id)
                                         .offset(offset).limit(limit))
            return TaskPage(items=[read(t) for t in rows], total=total or 0,
                            offset=offset, limit=limit)

    @router.get("/tasks/{task_id}", response_model=TaskRead)
    async def task(task_id: Id) -> TaskRead:
        async with runtime.db.reading() as session:
            found = await session.get(Task, task_id)
        if found is None:
            raise _not_found()
        return read(found)

    @router.post("/tasks/{task_id}/accept", response_model=TaskRead)
    async def accept(task_id: Id, body: AcceptRequest) -> TaskRead:
        """Take the task on; the window sees who has it."""
        async with _translated(), runtime.uow.begin() as tx:
            return read(await handlers.accept_task(tx, department, task_id, body.by))

    @router.post("/tasks/{task_id}/decision", response_model=TaskRead)
    async def decide(task_id: Id, body: DecisionRequest) -> TaskRead:
        """Approve or reject (with the reason in writing); the result goes back to the window."""
        decision = Decision(body.outcome, body.reason, body.amount, body.decided_by)
        async with _translated(), runtime.uow.begin() as tx:
            return read(await handlers.decide_task(tx, department, task_id, decision))

    return router


def _not_found() -> ApiError:
    return ApiError(404, "task_not_found", "No task with this id in this department.",
                    "本部门没有该任务。")


class _translated:
    """Turn the domain's refusals into HTTP errors (after the transaction rolled back)."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if isinstance(exc, handlers.TaskNotFound):
            raise _not_found() from exc
        if isinstance(exc, TaskRuleError):
            status = 422 if exc.field else 409
            fields = ([{"field": exc.field, "reason": exc.message, "reason_zh": exc.message_zh}]
                      if exc.field else [])
            raise ApiError(status, exc.code, exc.message, exc.message_zh, fields) from exc
