"""Intake's handlers: each runs inside one transaction (state plus outbox)."""

import uuid
from typing import Any

from sqlalchemy import select

from contracts import (
    ApplicationCompletedMessage,
    ApplicationRoutedMessage,
    ApplicationSubmitted,
    ApplicationSubmittedMessage,
    NotificationSentMessage,
    TaskAcceptedMessage,
    TaskDecidedMessage,
    subjects,
)
from services.common.http import ApiError
from services.common.policy import Policy
from services.common.uow import Transaction
from services.intake import domain
from services.intake.domain import ApplicationStatus, ItemStatus
from services.intake.models import Application, ApplicationItem, HistoryEntry, Notification
from services.intake.schemas import ApplicationCreate


class IdempotencyConflict(ApiError):
    def __init__(self) -> None:
        super().__init__(
            409, "idempotency_key_reused",
            "This Idempotency-Key was already used for a different application.",
            "该幂等键已用于另一份不同的申请，请勿重复使用。",
        )


async def submit_application(
    tx: Transaction, data: ApplicationCreate, *, idempotency_key: str | None, policy: Policy
) -> tuple[Application, bool]:
    """Register an application and publish ApplicationSubmitted; a retried key returns the first."""
    request_hash = domain.fingerprint(data.model_dump(mode="json"))
    if idempotency_key:
        existing = await tx.session.scalar(
            select(Application).where(Application.idempotency_key == idempotency_key)
        )
        if existing is not None:
            if existing.request_hash != request_hash:
                raise IdempotencyConflict
            return existing, False
    unhandled = [i for i in data.items if policy.department_of(i) is None]
    if unhandled:
        raise ApiError(422, "validation_failed", "The request has invalid fields.",
                       "提交的内容有误，请按提示逐项修改。", [
            {"field": "items", "reason": f"no department handles {i} in region {policy.region}",
             "reason_zh": f"本地区没有部门办理该事项：{i}"} for i in unhandled])

    now = tx.clock.now()
    app = Application(
        id=uuid.uuid4().hex,
        receipt_no=domain.receipt_no(now),
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        status=ApplicationStatus.received,
        channel=data.channel,
        received_by=data.received_by,
        received_at=now,
        applicant=data.applicant.model_dump(mode="json"),
        household=data.household.model_dump(mode="json"),
        materials=data.materials,
        description=data.description,
        on_behalf_of=data.on_behalf_of.model_dump(mode="json") if data.on_behalf_of else None,
        items=[
            ApplicationItem(item=item, position=n, department=policy.department_of(item),
                            status=ItemStatus.pending)
            for n, item in enumerate(data.items)
        ],
        notifications=[],
        history=[],
    )
    app.history.append(HistoryEntry(at=now, event="received", actor=data.received_by,
                                    detail=f"{data.channel} 受理，回执 {app.receipt_no}"))
    tx.session.add(app)
    tx.publish(
        ApplicationSubmittedMessage,
        ApplicationSubmitted(
            application_id=app.id, receipt_no=app.receipt_no, channel=data.channel,
            received_by=data.received_by, received_at=now, applicant=data.applicant,
            household=data.household, items=data.items, materials=data.materials,
            description=data.description, on_behalf_of=data.on_behalf_of,
        ),
        subject=subjects.APPLICATION_SUBMITTED,
        message_id=f"{app.id}:submitted",
    )
    return app, True


async def record_routed(tx: Transaction, msg: ApplicationRoutedMessage) -> None:
    """Consumes ApplicationRouted: each item now has its department's task and due time."""
    event = msg.payload
    items = await _items(tx, event.application_id)
    for task in event.tasks:
        for code in task.items:
            if row := items.get(code):
                row.task_id, row.department = task.task_id, task.department
                row.due_at = task.items_due_at.get(code, task.due_at)
                row.status = domain.advance(row.status, ItemStatus.assigned)
        _history(tx, event.application_id, event.routed_at, "assigned", task.department,
                 "routing", f"分办：{', '.join(task.items)}，办结时限 {task.due_at.isoformat()}")
    await _refresh_status(tx, event.application_id, items)


async def record_accepted(tx: Transaction, msg: TaskAcceptedMessage) -> None:
    """Consumes TaskAccepted: the department has taken the task on."""
    event = msg.payload
    items = await _items(tx, event.application_id)
    for row in items.values():
        if row.task_id == event.task_id:
            row.accepted_by, row.accepted_at = event.accepted_by, event.accepted_at
            row.status = domain.advance(row.status, ItemStatus.accepted)
    _history(tx, event.application_id, event.accepted_at, "accepted", event.department,
             event.accepted_by, "部门已受理")
    await _refresh_status(tx, event.application_id, items)


async def record_decided(tx: Transaction, msg: TaskDecidedMessage) -> None:
    """Consumes TaskDecided: the department's outcome for each of the task's items."""
    event = msg.payload
    items = await _items(tx, event.application_id)
    for code in event.items:
        if row := items.get(code):
            row.task_id = row.task_id or event.task_id
            row.outcome, row.amount, row.reason = event.outcome, event.amount, event.reason
            row.decided_by, row.decided_at = event.decided_by, event.decided_at
            row.status = ItemStatus.decided
    verdict = "同意" if event.outcome == "approved" else f"不予批准：{event.reason}"
    _history(tx, event.application_id, event.decided_at, "decided", event.department,
             event.decided_by, verdict)
    await _refresh_status(tx, event.application_id, items)


async def record_notification(tx: Transaction, msg: NotificationSentMessage) -> None:
    """Consumes NotificationSent: a notice went to the applicant or the window."""
    event = msg.payload
    if await tx.session.get(Notification, event.notification_id) is None:
        tx.session.add(Notification(
            id=event.notification_id, application_id=event.application_id, channel=event.channel,
            recipient=event.recipient, kind=event.kind, text=event.text, sent_at=event.sent_at))
        _history(tx, event.application_id, event.sent_at, "notified", None, "notify",
                 f"{event.channel}: {event.kind}")


async def record_completed(tx: Transaction, msg: ApplicationCompletedMessage) -> None:
    """Consumes ApplicationCompleted: every part is decided and the applicant was told."""
    event = msg.payload
    app = await tx.session.get(Application, event.application_id)
    if app is None:
        return
    app.completed_at = event.completed_at
    _history(tx, app.id, event.completed_at, "completed", None, "notify", "全部事项办结")
    await _refresh_status(tx, app.id, {i.item: i for i in app.items})


async def _items(tx: Transaction, application_id: str) -> dict[str, ApplicationItem]:
    rows = await tx.session.scalars(
        select(ApplicationItem).where(ApplicationItem.application_id == application_id)
    )
    return {r.item: r for r in rows}


async def _refresh_status(tx: Transaction, application_id: str,
                          items: dict[str, ApplicationItem]) -> None:
    app = await tx.session.get(Application, application_id)
    if app is None:
        return
    app.status = domain.combined_status((i.status for i in items.values()),
                                        completed=app.completed_at is not None)
    app.outcome = domain.combined_outcome(i.outcome for i in items.values())


def _history(tx: Transaction, application_id: str, at: Any, event: str, department: str | None,
             actor: str | None, detail: str) -> None:
    tx.session.add(HistoryEntry(application_id=application_id, at=at, event=event,
                                department=department, actor=actor, detail=detail))
