"""What a department's handlers share: finding a task, writing its history, continuing its
trace, and publishing its decision."""

from datetime import datetime
from typing import Any

from opentelemetry import trace

from contracts import Department, Envelope, Outcome, TaskDecided, TaskDecidedMessage, subjects
from services.common.tracing import (
    APPLICATION_ID,
    DEPARTMENT,
    ITEMS,
    TASK_ID,
    extract,
    span_context_of,
    tag,
)
from services.common.uow import Transaction
from services.departments.models import Task, TaskHistory


class TaskNotFound(LookupError):
    pass


def record(tx: Transaction, task_id: str, kind: str, by: str | None, **detail: Any) -> None:
    """A line of the task's history (values made JSON: times ISO 8601 UTC, numbers as text)."""
    tx.session.add(TaskHistory(task_id=task_id, at=tx.clock.now(), kind=kind, by=by,
                               detail={k: _plain(v) for k, v in detail.items()}))


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str | list | dict):
        return value
    return str(value)


def continue_task_trace(tx: Transaction, task: Task, name: str) -> None:
    """A person acts on the task in a request of their own (maybe days later): that request's
    span links to the task's, and a span in the application's trace, linked back to the
    request, becomes the cause of the events published now."""
    task_context = span_context_of(task.trace_parent)
    if not task_context.is_valid:
        return
    request = tx.causing_span or trace.get_current_span()  # the staff member's request
    if request.is_recording():  # (the demo decides right after accepting, in one request)
        request.add_link(task_context)
        request.set_attributes({APPLICATION_ID: task.application_id, TASK_ID: task.id})
    tx.causing_span = task_span(tx, task, name, request)


def task_span(tx: Transaction, task: Task, name: str, request: trace.Span,
              department: Department | None = None) -> trace.Span:
    """A span (ended) in the task's own trace, linked to the request that acted on it."""
    links = [trace.Link(request.get_span_context())] if request.get_span_context().is_valid else []
    attributes = {APPLICATION_ID: task.application_id, TASK_ID: task.id,
                  ITEMS: [str(i) for i in task.items]}
    span = tx.tracer.start_span(
        name, context=extract(task.trace_parent), links=links,
        attributes=attributes | ({DEPARTMENT: str(department)} if department else {}))
    span.end()
    return span


async def get_task(tx: Transaction, task_id: str) -> Task:
    """The task, locked for this transaction (TaskNotFound if this department has none)."""
    key = (Task, task_id)
    task = tx.memo.get(key)
    if task is None:  # a row already locked in this transaction is not read (and locked) again
        task = await tx.session.get(Task, task_id, with_for_update=True)
        if task is None:
            raise TaskNotFound(task_id)
        tx.memo[key] = task
    tag(tx.causing_span, application_id=task.application_id, task_id=task.id)
    return task


def publish_decided(tx: Transaction, task: Task, department: Department,
                    caused_by: Envelope[Any] | None = None) -> None:
    """TaskDecided of a task just decided (by staff, or automatically after ``caused_by``)."""
    assert task.decided_at is not None and task.outcome is not None
    tx.publish(
        TaskDecidedMessage,
        TaskDecided(task_id=task.id, application_id=task.application_id,
                    department=department, items=task.items, outcome=Outcome(task.outcome),
                    amount=task.amount, reason=task.reason or "",
                    decided_by=task.decided_by or "", decided_at=task.decided_at,
                    paperwork_due_at=task.paperwork_due_at, automatic=bool(task.automatic)),
        subject=subjects.for_department(subjects.TASK_DECIDED, department),
        message_id=f"{task.id}:decided",
        caused_by=caused_by,
    )
