"""What a department hands back to the window and routing, and what they hand it: a task
returned as not its own, materials asked for and supplemented, a deadline extended."""

import dataclasses
import logging
from typing import Any

from contracts import (
    Department,
    TaskDeadlineExtendedMessage,
    TaskMaterialsRequested,
    TaskMaterialsRequestedMessage,
    TaskMaterialsSupplementedMessage,
    TaskReturned,
    TaskReturnedMessage,
    subjects,
)
from services.common.policy import Policy
from services.common.uow import Transaction
from services.departments import domain, tasks
from services.departments.domain import OPEN_STATUSES, MaterialsRequest, Return, TaskRuleError
from services.departments.models import Task
from services.departments.rules.materials import material_needs

log = logging.getLogger(__name__)


async def return_task(tx: Transaction, department: Department, task_id: str, new: Return, *,
                      policy: Policy) -> Task:
    """Say the task is not this department's (before a decision); publishes TaskReturned
    (once, however often the request is retried), for routing to re-route it."""
    if new.suggested_department and new.suggested_department not in policy.departments:
        raise TaskRuleError("unknown_department", "no such department in this region",
                            "本地区没有该部门", field="suggested_department")
    task = await tasks.get_task(tx, task_id)
    current = None
    if task.returned_by:
        current = Return(task.returned_by, task.returned_reason or "",
                         Department(task.suggested_department) if task.suggested_department
                         else None)
    if domain.can_return(task.status, current, new, department):
        task.status = domain.TaskStatus.returned
        task.returned_by, task.returned_at, task.returned_reason = new.by, tx.clock.now(), new.reason
        task.suggested_department = new.suggested_department
        tasks.record(tx, task.id, "returned", new.by, reason=new.reason,
                     suggested_department=new.suggested_department)
        tasks.continue_task_trace(tx, task, "task return")
        tx.publish(
            TaskReturnedMessage,
            TaskReturned(task_id=task.id, application_id=task.application_id,
                         department=department, items=task.items, reason=new.reason,
                         suggested_department=new.suggested_department, returned_by=new.by,
                         returned_at=task.returned_at),
            subject=subjects.for_department(subjects.TASK_RETURNED, department),
            message_id=f"{task.id}:returned",
        )
    return task


async def request_materials(tx: Transaction, department: Department, task_id: str,
                            new: MaterialsRequest, *, policy: Policy) -> Task:
    """Ask for more materials, all at once; publishes TaskMaterialsRequested (once per
    request) for the window to tell the applicant. The task's due time stays as it is."""
    task = await tasks.get_task(tx, task_id)
    needs = material_needs(list(new.materials), policy.materials, task.items)
    new = dataclasses.replace(new, materials=tuple(m.code for m in needs))  # each once
    requests: list[dict[str, Any]] = list(task.materials_requests or [])
    pending = _pending(requests[-1]) if requests else None
    if not domain.can_request_materials(task.status, pending, new):
        return task
    n, now = len(requests) + 1, tx.clock.now()
    requests.append({"n": n, "materials": [{"code": m.code, "name": m.name} for m in needs],
                     "note": new.note, "requested_by": new.by, "requested_at": now.isoformat(),
                     "supplemented": [], "received_by": None, "supplemented_at": None})
    task.materials_requests = requests  # a new list: JSON columns see assignments only
    task.status = domain.TaskStatus.awaiting_materials
    tasks.record(tx, task.id, "materials_requested", new.by, n=n, materials=list(new.materials),
                 note=new.note)
    tasks.continue_task_trace(tx, task, "task materials request")
    tx.publish(
        TaskMaterialsRequestedMessage,
        TaskMaterialsRequested(task_id=task.id, application_id=task.application_id,
                               department=department, materials=needs, note=new.note,
                               requested_by=new.by, requested_at=now),
        subject=subjects.for_department(subjects.TASK_MATERIALS_REQUESTED, department),
        message_id=f"{task.id}:materials:{n}",
    )
    return task


async def materials_supplemented(tx: Transaction, msg: TaskMaterialsSupplementedMessage) -> None:
    """Consumes TaskMaterialsSupplemented: the materials join the task's, and a task that
    waited for them goes back to where it was (assigned or accepted). Publishes nothing."""
    event = msg.payload
    task = await tasks.get_task(tx, event.task_id)  # not here yet: retried until it is
    task.materials = list(dict.fromkeys([*task.materials, *event.materials]))
    requests: list[dict[str, Any]] = [dict(r) for r in task.materials_requests or []]
    if requests and requests[-1]["supplemented_at"] is None:
        requests[-1] |= {"supplemented": list(event.materials), "received_by": event.received_by,
                         "supplemented_at": event.supplemented_at.isoformat()}
        task.materials_requests = requests
    if task.status == domain.TaskStatus.awaiting_materials:
        task.status = domain.resume_status(task.accepted_by)
    tasks.record(tx, task.id, "materials_supplemented", event.received_by,
                 materials=list(event.materials))


async def deadline_extended(tx: Transaction, msg: TaskDeadlineExtendedMessage) -> None:
    """Consumes TaskDeadlineExtended: the task's due time moves, with who approved it and why
    in its history (001 第十一条). Publishes nothing."""
    event = msg.payload
    task = await tasks.get_task(tx, event.task_id)  # not here yet: retried until it is
    if task.status not in OPEN_STATUSES:
        log.info("deadline of task %s extended, but it is %s here: nothing to move",
                 task.id, task.status)
        return
    previous, task.due_at = task.due_at, event.due_at
    tasks.record(tx, task.id, "deadline_extended", event.approved_by,
                 previous_due_at=previous, due_at=event.due_at, reason=event.reason,
                 extended_at=event.extended_at)


def _pending(request: dict[str, Any]) -> MaterialsRequest:
    return MaterialsRequest(request["requested_by"],
                            tuple(m["code"] for m in request["materials"]), request["note"])
