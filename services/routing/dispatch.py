"""The effects every routing shares, each with its ledger line: a task handed to a
department (TaskAssigned), the application's new plan (ApplicationRouted), items referred to
an organisation (ItemsReferred), items put before the joint meeting (JointMeetingQueued)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from contracts import (
    Applicant,
    ApplicationRouted,
    ApplicationRoutedMessage,
    Envelope,
    Household,
    Item,
    ItemsReferred,
    ItemsReferredMessage,
    JointMeetingQueued,
    JointMeetingQueuedMessage,
    PlannedTask,
    TaskAssigned,
    TaskAssignedMessage,
    subjects,
)
from services.common.policy import Policy
from services.common.uow import Transaction
from services.routing import domain, traces
from services.routing.domain import TaskPlan
from services.routing.models import (
    JOINT_MEETING,
    REFERRAL,
    TASK,
    Handoff,
    JointMeetingCase,
    RoutedApplication,
)

Cause = Envelope[Any] | None  # the message that caused it, if any


def limits_from(app: RoutedApplication) -> datetime:
    """The legal clock's start: acceptance with every material (受理), else receipt."""
    return app.accepted_at or app.received_at


async def next_revision(tx: Transaction, application_id: str) -> int:
    """The revision of the application's next ApplicationRouted after the first (always > 0)."""
    current = await tx.session.scalar(
        select(func.max(Handoff.revision))
        .where(Handoff.application_id == application_id, Handoff.kind == TASK))
    return (current or 0) + 1


def hand_to_department(tx: Transaction, app: RoutedApplication, plan: TaskPlan, *,
                       from_party: str, revision: int, note: str = "",
                       case_id: str | None = None, caused_by: Cause = None) -> None:
    """Record the hand-off (in the trace it is made in) and publish TaskAssigned to the
    department, with the application's personal part as routing received it (sealed for the
    department, the clear fields masked; or in clear if it came so)."""
    now = tx.clock.now()
    start = limits_from(app)
    tx.session.add(Handoff(
        application_id=app.application_id, receipt_no=app.receipt_no, task_id=plan.task_id,
        kind=TASK, from_party=from_party[:100], to_department=plan.department,
        items=list(plan.items), handed_at=now, due_at=plan.due_at,
        items_due_at={str(i): due.isoformat() for i, due in plan.items_due_at.items()},
        limits_from=start, transfer_due_at=plan.transfer_due_at,
        accept_due_at=plan.accept_due_at, revision=revision, routing_note=note or None,
        case_id=case_id, trace_id=traces.trace_id(tx)))
    tx.publish(
        TaskAssignedMessage,
        TaskAssigned(
            task_id=plan.task_id, application_id=app.application_id, receipt_no=app.receipt_no,
            department=plan.department, items=list(plan.items),
            applicant=Applicant.model_validate(app.applicant),
            household=Household.model_validate(app.household), materials=list(app.materials),
            description=app.description, received_at=app.received_at, assigned_at=now,
            due_at=plan.due_at, items_due_at=plan.items_due_at,
            accept_due_at=plan.accept_due_at, accepted_at=start, routing_note=note[:500],
            sealed=app.sealed, application_items=list(app.items or [])),
        subject=subjects.for_department(subjects.TASK_ASSIGNED, plan.department),
        message_id=f"{plan.task_id}:assigned",
        caused_by=caused_by,
    )


def announce(tx: Transaction, application_id: str, plans: Sequence[TaskPlan], *, revision: int,
             reason: str, message_id: str, caused_by: Cause = None) -> None:
    """Publish ApplicationRouted: the tasks just made (there must be at least one)."""
    assert plans, "ApplicationRouted lists at least one task"
    tx.publish(
        ApplicationRoutedMessage,
        ApplicationRouted(
            application_id=application_id,
            tasks=[PlannedTask(task_id=p.task_id, department=p.department, items=list(p.items),
                               due_at=p.due_at, items_due_at=p.items_due_at,
                               accept_due_at=p.accept_due_at) for p in plans],
            routed_at=tx.clock.now(), revision=revision, reason=reason[:500]),
        subject=subjects.APPLICATION_ROUTED,
        message_id=message_id,
        caused_by=caused_by,
    )


def refer(tx: Transaction, app: RoutedApplication, items: Sequence[Item], organisation: str, *,
          by: str, from_party: str, key: str, message_id: str, note: str = "",
          transfer_due_at: datetime | None = None, case_id: str | None = None,
          caused_by: Cause = None) -> None:
    """Record the referral (a ledger line to the organisation, closed as it is made) and
    publish ItemsReferred. ``key`` tells it from the application's other referrals."""
    now = tx.clock.now()
    tx.session.add(Handoff(
        application_id=app.application_id, receipt_no=app.receipt_no,
        task_id=domain.line_key(REFERRAL, app.application_id, key), kind=REFERRAL,
        from_party=from_party[:100], to_department=REFERRAL, to_party=organisation[:200],
        items=list(items), handed_at=now, due_at=transfer_due_at or now,
        limits_from=limits_from(app), transfer_due_at=transfer_due_at,
        routing_note=note or None, case_id=case_id, result="referred",
        decided_by=by[:50], decided_at=now, trace_id=traces.trace_id(tx)))
    tx.publish(
        ItemsReferredMessage,
        ItemsReferred(application_id=app.application_id, items=list(items),
                      organisation=organisation[:200], note=note[:1000], referred_by=by,
                      referred_at=now),
        subject=subjects.ITEMS_REFERRED,
        message_id=message_id,
        caused_by=caused_by,
    )


def queue_joint_meeting(tx: Transaction, app: RoutedApplication, items: Sequence[Item], *,
                        cause: str, reason: str, from_party: str, policy: Policy,
                        caused_by: Cause = None) -> JointMeetingCase:
    """Open a joint-meeting case (its ledger line, due when the meeting must assign it) and
    publish JointMeetingQueued."""
    now = tx.clock.now()
    case_id = domain.case_id(app.application_id, cause)
    assign_due_at = policy.joint_meeting.assign.due_at(now, policy.calendar)
    case = JointMeetingCase(
        case_id=case_id, application_id=app.application_id, receipt_no=app.receipt_no,
        items=list(items), reason=reason, queued_at=now, assign_due_at=assign_due_at,
        status="open", trace_parent=traces.trace_parent(tx))
    tx.session.add(case)
    tx.session.add(Handoff(
        application_id=app.application_id, receipt_no=app.receipt_no,
        task_id=f"{JOINT_MEETING}:{case_id}", kind=JOINT_MEETING, from_party=from_party[:100],
        to_department=JOINT_MEETING, to_party=policy.joint_meeting.name[:200],
        items=list(items), handed_at=now, due_at=assign_due_at, limits_from=limits_from(app),
        routing_note=reason, case_id=case_id, trace_id=traces.trace_id(tx)))
    tx.publish(
        JointMeetingQueuedMessage,
        JointMeetingQueued(case_id=case_id, application_id=app.application_id,
                           items=list(items), reason=reason[:1000], queued_at=now,
                           assign_due_at=assign_due_at),
        subject=subjects.JOINT_MEETING_QUEUED,
        message_id=f"{case_id}:queued",
        caused_by=caused_by,
    )
    return case
