"""Supervision's handlers, one transaction each: raise the alerts that are due, and extend a
task's time limit."""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from contracts import (
    Department,
    SupervisionAlert,
    SupervisionEscalatedMessage,
    SupervisionWarnedMessage,
    TaskDeadlineExtended,
    TaskDeadlineExtendedMessage,
    subjects,
)
from services.common.db import dialect_insert
from services.common.limits import Limit
from services.common.policy import Policy
from services.common.tracing import tag
from services.common.uow import Transaction
from services.routing.errors import Conflict, Invalid, NotFound
from services.routing.models import TASK, Alert, Extension, Handoff
from services.routing.supervision import domain
from services.routing.supervision.domain import AlertPlan
from services.routing.supervision.stages import open_stages

log = logging.getLogger(__name__)

_CHUNK = 500  # subjects per IN (...) when reading the alerts raised


async def scan(tx: Transaction, *, policy: Policy) -> int:
    """Consumes nothing (the clock); publishes each due SupervisionWarned/Escalated once, ever."""
    now = tx.clock.now()
    stages = await open_stages(tx.session, policy)
    raised = await _raised(tx, sorted({s.subject for s in stages}))
    count = 0
    for stage in stages:
        for plan in domain.alerts_due(stage, now, policy, raised.get((stage.kind, stage.subject),
                                                                     set())):
            if await _record(tx, plan, now):
                _publish(tx, plan, now)
                count += 1
    return count


async def _raised(tx: Transaction, subject_ids: Sequence[str]) -> dict[tuple[str, str], set[int]]:
    raised: dict[tuple[str, str], set[int]] = {}
    for n in range(0, len(subject_ids), _CHUNK):
        rows = await tx.session.execute(select(Alert.stage, Alert.subject_id, Alert.level).where(
            Alert.subject_id.in_(subject_ids[n:n + _CHUNK])))
        for stage, subject, level in rows:
            raised.setdefault((stage, subject), set()).add(level)
    return raised


async def _record(tx: Transaction, plan: AlertPlan, now: datetime) -> bool:
    """Insert the alert unless it exists: False if another scan (another process) raised it
    first — the unique key, not a read, decides, so concurrent scans never both publish."""
    s = plan.stage
    insert: Any = dialect_insert("postgresql" if tx.session.bind.dialect.name == "postgresql"
                                 else "sqlite")
    result: Any = await tx.session.execute(insert(Alert).values(
        alert_id=plan.alert_id, stage=s.kind, subject_id=s.subject, level=plan.level,
        application_id=s.application_id, task_id=s.task_id, department=s.department,
        items=list(s.items), due_at=s.due, supervisor=plan.supervisor, raised_at=now,
    ).on_conflict_do_nothing())
    return bool(result.rowcount)


def _publish(tx: Transaction, plan: AlertPlan, now: datetime) -> None:
    s = plan.stage
    message = SupervisionWarnedMessage if plan.level == 0 else SupervisionEscalatedMessage
    tx.publish(
        message,
        SupervisionAlert(alert_id=plan.alert_id, application_id=s.application_id,
                         task_id=s.task_id, department=s.department, items=list(s.items),
                         stage=s.kind, due_at=s.due, level=plan.level,
                         supervisor=plan.supervisor, detected_at=now),
        subject=message.SUBJECT,
        message_id=plan.alert_id,
    )


async def extend_deadline(tx: Transaction, task_id: str, extend_by: Limit, approved_by: str,
                          reason: str, *, policy: Policy) -> Extension:
    """Extend a task's time limit (approver — a supervisor's account, checked by the HTTP
    layer — and reason, 001 第十一条); publishes TaskDeadlineExtended."""
    # Alerts raised stay on record; the levels not raised yet follow the new due time.
    handoff = await tx.session.scalar(select(Handoff).where(
        Handoff.task_id == task_id, Handoff.kind == TASK).with_for_update())
    if handoff is None:
        raise NotFound("task_not_found", f"no task {task_id} in the ledger", "台账中没有该任务")
    tag(tx.causing_span, application_id=handoff.application_id, task_id=task_id,
        department=handoff.to_department)
    if handoff.decided_at is not None or handoff.returned_at is not None:
        raise Conflict("task_closed", "the task is decided or returned: nothing to extend",
                       "该任务已办结或已退回，无需延期")
    earlier = (await tx.session.scalars(select(Extension).where(Extension.task_id == task_id)
                                        .order_by(Extension.id))).all()
    original = earlier[0].from_due_at if earlier else handoff.due_at
    calendar = policy.calendar
    new_due = extend_by.due_at(handoff.due_at, calendar)
    try:
        domain.check_extension(list(handoff.items), original, new_due, policy)
    except domain.ExtensionRefused as exc:
        raise Invalid("extension_over_limit", exc.reason, exc.reason_zh, field="extend_by") from None
    now, previous = tx.clock.now(), handoff.due_at
    handoff.due_at = new_due
    handoff.items_due_at = {
        item: extend_by.due_at(datetime.fromisoformat(due), calendar).isoformat()
        for item, due in (handoff.items_due_at or {}).items()}
    extension = Extension(
        task_id=task_id, application_id=handoff.application_id,
        department=handoff.to_department, extend_by={extend_by.unit: extend_by.amount},
        approved_by=approved_by, reason=reason, from_due_at=previous, to_due_at=new_due,
        extended_at=now)
    tx.session.add(extension)
    tx.publish(
        TaskDeadlineExtendedMessage,
        TaskDeadlineExtended(task_id=task_id, application_id=handoff.application_id,
                             department=Department(handoff.to_department), items=handoff.items,
                             previous_due_at=previous, due_at=new_due, approved_by=approved_by,
                             reason=reason, extended_at=now),
        subject=subjects.for_department(subjects.TASK_DEADLINE_EXTENDED, handoff.to_department),
        message_id=f"{task_id}:extended:{len(earlier) + 1}",
    )
    return extension
