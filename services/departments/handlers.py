"""A department's handlers: each runs inside one transaction (task plus outbox)."""

from decimal import Decimal

from opentelemetry import trace
from sqlalchemy import select

from contracts import (
    Department,
    Outcome,
    TaskAccepted,
    TaskAcceptedMessage,
    TaskAssignedMessage,
    TaskDecided,
    TaskDecidedMessage,
    subjects,
)
from services.common.tracing import (
    APPLICATION_ID,
    ITEMS,
    TASK_ID,
    extract,
    inject,
    span_context_of,
)
from services.common.uow import Transaction
from services.departments import domain
from services.departments.domain import Decision, TaskStatus
from services.departments.models import Task


class TaskNotFound(LookupError):
    pass


async def receive_task(tx: Transaction, msg: TaskAssignedMessage) -> None:
    """Consumes TaskAssigned for this department: the task joins its queue."""
    t = msg.payload
    if await tx.session.get(Task, t.task_id) is not None:
        return
    tx.session.add(Task(
        id=t.task_id, application_id=t.application_id, receipt_no=t.receipt_no,
        items=list(t.items), status=TaskStatus.assigned,
        applicant=t.applicant.model_dump(mode="json"),
        household=t.household.model_dump(mode="json"), materials=t.materials,
        description=t.description, received_at=t.received_at, assigned_at=t.assigned_at,
        due_at=t.due_at, trace_parent=inject(tx.causing_span) if tx.causing_span else None))


async def accept_task(tx: Transaction, department: Department, task_id: str, by: str) -> Task:
    """Accept a task; publishes TaskAccepted (once, however often the request is retried)."""
    task = await _get(tx, task_id)
    if domain.can_accept(task.status, task.accepted_by, by):
        task.status, task.accepted_by, task.accepted_at = TaskStatus.accepted, by, tx.clock.now()
        _continue_task_trace(tx, task, "task accept")
        tx.publish(
            TaskAcceptedMessage,
            TaskAccepted(task_id=task.id, application_id=task.application_id,
                         department=department, accepted_by=by, accepted_at=task.accepted_at),
            subject=subjects.for_department(subjects.TASK_ACCEPTED, department),
            message_id=f"{task.id}:accepted",
        )
    return task


async def decide_task(tx: Transaction, department: Department, task_id: str,
                      decision: Decision) -> Task:
    """Decide a task; publishes TaskDecided (once, however often the request is retried)."""
    task = await _get(tx, task_id)
    current = None
    if task.outcome:
        current = Decision(Outcome(task.outcome), task.reason or "", task.amount,
                           task.decided_by or "")
    if domain.can_decide(task.status, current, decision):
        task.status, task.decided_at = TaskStatus.decided, tx.clock.now()
        task.outcome, task.reason = decision.outcome, decision.reason
        task.amount, task.decided_by = decision.amount, decision.decided_by
        _continue_task_trace(tx, task, "task decide")
        tx.publish(
            TaskDecidedMessage,
            TaskDecided(task_id=task.id, application_id=task.application_id,
                        department=department, items=task.items, outcome=decision.outcome,
                        amount=decision.amount, reason=decision.reason,
                        decided_by=decision.decided_by, decided_at=task.decided_at),
            subject=subjects.for_department(subjects.TASK_DECIDED, department),
            message_id=f"{task.id}:decided",
        )
    return task


async def auto_decide_due(tx: Transaction, department: Department, *, older_than_seconds: float,
                          income_lines: dict[str, Decimal], limit: int = 200) -> int:
    """Demo only: accept and decide the tasks assigned long enough ago; returns how many."""
    cutoff = tx.clock.now().timestamp() - older_than_seconds
    tasks = [
        t for t in await tx.session.scalars(
            select(Task).where(Task.status == TaskStatus.assigned)
            .order_by(Task.assigned_at).limit(limit))
        if t.assigned_at.timestamp() <= cutoff
    ]
    for task in tasks:
        await accept_task(tx, department, task.id, "demo-auto")
        decision = domain.demo_decision(
            monthly_income_per_capita=Decimal(str(task.household["monthly_income_per_capita"])),
            household_size=task.household["size"], residence=task.household["residence"],
            income_lines=income_lines)
        await decide_task(tx, department, task.id, decision)
    return len(tasks)


def _continue_task_trace(tx: Transaction, task: Task, name: str) -> None:
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
    links = [trace.Link(request.get_span_context())] if request.get_span_context().is_valid else []
    span = tx.tracer.start_span(
        name, context=extract(task.trace_parent), links=links,
        attributes={APPLICATION_ID: task.application_id, TASK_ID: task.id,
                    ITEMS: [str(i) for i in task.items]})
    span.end()
    tx.causing_span = span


async def _get(tx: Transaction, task_id: str) -> Task:
    task = await tx.session.get(Task, task_id, with_for_update=True)
    if task is None:
        raise TaskNotFound(task_id)
    return task
