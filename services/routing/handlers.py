"""Routing's handlers: each runs inside one transaction (ledger plus outbox)."""

import logging
from typing import Any

from sqlalchemy import select

from contracts import (
    ApplicationRouted,
    ApplicationRoutedMessage,
    ApplicationSubmittedMessage,
    PlannedTask,
    TaskAcceptedMessage,
    TaskAssigned,
    TaskAssignedMessage,
    TaskDecidedMessage,
    subjects,
)
from services.common.policy import Policy
from services.common.uow import Transaction
from services.routing import domain
from services.routing.models import Handoff

log = logging.getLogger(__name__)


async def route_application(tx: Transaction, msg: ApplicationSubmittedMessage, *,
                            policy: Policy) -> None:
    """Consumes ApplicationSubmitted; publishes one TaskAssigned per department and ApplicationRouted."""
    app = msg.payload
    plans = domain.split(app.application_id, app.items, app.received_at, policy)
    now = tx.clock.now()
    trace_id = _trace_id(msg)
    for plan in plans:
        tx.session.add(Handoff(
            application_id=app.application_id, receipt_no=app.receipt_no, task_id=plan.task_id,
            from_party=f"window:{app.received_by}", to_department=plan.department,
            items=list(plan.items), handed_at=now, due_at=plan.due_at,
            items_due_at={str(i): due.isoformat() for i, due in plan.items_due_at.items()},
            trace_id=trace_id))
        tx.publish(
            TaskAssignedMessage,
            TaskAssigned(
                task_id=plan.task_id, application_id=app.application_id,
                receipt_no=app.receipt_no, department=plan.department, items=list(plan.items),
                applicant=app.applicant, household=app.household, materials=app.materials,
                description=app.description, received_at=app.received_at, assigned_at=now,
                due_at=plan.due_at, items_due_at=plan.items_due_at,
            ),
            subject=subjects.for_department(subjects.TASK_ASSIGNED, plan.department),
            message_id=f"{plan.task_id}:assigned",
            caused_by=msg,
        )
    tx.publish(
        ApplicationRoutedMessage,
        ApplicationRouted(
            application_id=app.application_id,
            tasks=[PlannedTask(task_id=p.task_id, department=p.department, items=list(p.items),
                               due_at=p.due_at, items_due_at=p.items_due_at) for p in plans],
            routed_at=now,
        ),
        subject=subjects.APPLICATION_ROUTED,
        message_id=f"{app.application_id}:routed",
        caused_by=msg,
    )


async def record_accepted(tx: Transaction, msg: TaskAcceptedMessage) -> None:
    """Consumes TaskAccepted: who took the hand-off on, and when."""
    event = msg.payload
    handoff = await _handoff(tx, event.task_id, msg)
    if handoff is not None:
        handoff.accepted_by, handoff.accepted_at = event.accepted_by, event.accepted_at


async def record_decided(tx: Transaction, msg: TaskDecidedMessage) -> None:
    """Consumes TaskDecided: the result of the hand-off (with the reason of a refusal)."""
    event = msg.payload
    handoff = await _handoff(tx, event.task_id, msg)
    if handoff is None:
        return
    if set(event.items) != set(handoff.items):
        log.warning("decision on task %s names items %s, the hand-off %s: recorded for the task",
                    event.task_id, list(event.items), handoff.items)
    handoff.result, handoff.result_reason = str(event.outcome), event.reason or None
    handoff.decided_by, handoff.decided_at = event.decided_by, event.decided_at


async def _handoff(tx: Transaction, task_id: str, msg: Any) -> Handoff | None:
    """The hand-off of a task, or None (logged) if routing never made it: nothing to record.

    It cannot normally happen (the hand-off commits before TaskAssigned is published), but a
    task from elsewhere (another region's routing, a hand-made message) must not crash."""
    handoff = await tx.session.scalar(
        select(Handoff).where(Handoff.task_id == task_id).with_for_update())
    if handoff is None:
        log.warning("%s %s: no hand-off of task %s here; ignored", msg.type, msg.message_id,
                    task_id)
    return handoff


def _trace_id(msg: Any) -> str | None:
    """The trace id the message carries, if any (envelopes have none yet): never made up."""
    value = getattr(msg, "trace_id", None)
    return value if isinstance(value, str) and 0 < len(value) <= 32 else None
