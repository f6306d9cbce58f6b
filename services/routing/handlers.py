"""Routing's handlers: each runs inside one transaction (ledger plus outbox).

This module: an application's first routing, and what departments report of their tasks
(acceptance, decision, paperwork). Returns are in ``returns``, the joint meeting's
decisions in ``jointmeeting``, supervision in ``supervision``."""

import logging
from typing import Any

from sqlalchemy import select

from contracts import (
    ApplicationSubmittedMessage,
    TaskAcceptedMessage,
    TaskDecidedMessage,
    TaskPaperworkCompletedMessage,
)
from services.common.conflicts import first_stands
from services.common.policy import Policy
from services.common.uow import Transaction
from services.routing import dispatch, domain
from services.routing.models import TASK, Handoff, RoutedApplication

log = logging.getLogger(__name__)


async def route_application(tx: Transaction, msg: ApplicationSubmittedMessage, *,
                            policy: Policy) -> None:
    """Consumes ApplicationSubmitted; publishes TaskAssigned, ApplicationRouted, ItemsReferred."""
    # And JointMeetingQueued: each item goes by its disposition (department, referral, meeting).
    app = msg.payload
    if await tx.session.get(RoutedApplication, app.application_id) is not None:
        # Submitted again under another message id: its items are handed on already.
        log.warning("%s %s: application %s is routed already; ignored", msg.type,
                    msg.message_id, app.application_id)
        return
    now = tx.clock.now()
    start = app.accepted_at or app.received_at
    plan = domain.route(app.application_id, list(app.items), start, now, policy)
    if plan.outside:
        # Intake accepted what this policy does not cover: the two services run different
        # policies. Fail (the message becomes a dead letter, replayed once they agree) rather
        # than lose the items.
        raise domain.UnroutableItem(f"application {app.application_id}: items "
                                    f"{', '.join(plan.outside)} are outside region "
                                    f"{policy.region}'s policy")
    # The personal part as it came: sealed for the departments (routing cannot open it) and
    # masked in clear; in full on an older event without it (encrypted at rest either way).
    routed = RoutedApplication(
        application_id=app.application_id, receipt_no=app.receipt_no,
        received_by=app.received_by[:100], received_at=app.received_at,
        accepted_at=app.accepted_at, applicant=app.applicant.model_dump(mode="json"),
        household=app.household.model_dump(mode="json"), materials=list(app.materials),
        description=app.description, sealed=app.sealed, items=list(app.items))
    tx.session.add(routed)
    window = f"window:{app.received_by}"
    for task in plan.tasks:
        dispatch.hand_to_department(tx, routed, task, from_party=window, revision=0,
                                    caused_by=msg)
    if plan.tasks:
        dispatch.announce(tx, app.application_id, plan.tasks, revision=0, reason="",
                          message_id=f"{app.application_id}:routed", caused_by=msg)
    for organisation, items in plan.referrals.items():
        dispatch.refer(tx, routed, items, organisation, by=app.received_by, from_party=window,
                       key=f"submitted:{organisation}",
                       message_id=f"{app.application_id}:referred:{items[0]}",
                       transfer_due_at=min(policy.transfer_due_at(i, start) for i in items),
                       caused_by=msg)
    if plan.joint_meeting:
        dispatch.queue_joint_meeting(tx, routed, plan.joint_meeting, cause="submitted",
                                     reason=domain.UNCLEAR_OWNER, from_party=window,
                                     policy=policy, caused_by=msg)


async def record_accepted(tx: Transaction, msg: TaskAcceptedMessage) -> None:
    """Consumes TaskAccepted (who took the hand-off on, and when); publishes nothing."""
    event = msg.payload
    handoff = await task_handoff(tx, event.task_id, msg)
    if handoff is not None:
        handoff.accepted_by, handoff.accepted_at = event.accepted_by[:50], event.accepted_at


async def record_decided(tx: Transaction, msg: TaskDecidedMessage) -> None:
    """Consumes TaskDecided (result, what it said, amount, paperwork due); publishes nothing.
    A task decides once: the same decision again is a no-op, a different one is refused."""
    event = msg.payload
    if event.automatic:
        return  # granted without an application (免申即享): the department's own, no hand-off
    handoff = await task_handoff(tx, event.task_id, msg)
    if handoff is None:
        return
    if handoff.decided_at is not None:
        first_stands(f"the decision of task {event.task_id}",
                     {"outcome": handoff.result, "reason": handoff.result_reason,
                      "amount": handoff.result_amount},
                     {"outcome": event.outcome, "reason": event.reason, "amount": event.amount},
                     private=("reason",))
        return
    if set(event.items) != set(handoff.items):
        log.warning("decision on task %s names items %s, the hand-off %s: recorded for the task",
                    event.task_id, list(event.items), handoff.items)
    handoff.result, handoff.result_reason = str(event.outcome), event.reason or None
    handoff.result_amount = event.amount
    handoff.decided_by, handoff.decided_at = event.decided_by[:50], event.decided_at
    handoff.paperwork_due_at = event.paperwork_due_at


async def record_paperwork(tx: Transaction, msg: TaskPaperworkCompletedMessage) -> None:
    """Consumes TaskPaperworkCompleted (its supervision ends); publishes nothing."""
    handoff = await task_handoff(tx, msg.payload.task_id, msg)
    if handoff is not None:
        handoff.paperwork_completed_at = msg.payload.completed_at


async def task_handoff(tx: Transaction, task_id: str, msg: Any) -> Handoff | None:
    """The hand-off of a task, or None (logged) if routing never made it: nothing to record.

    It cannot normally happen (the hand-off commits before TaskAssigned is published), but a
    task from elsewhere (another region's routing, a hand-made message) must not crash."""
    # No flush first: a hand-off this reads was written by an earlier transaction (its task's
    # events come only after that commit), and one changed earlier in the batch is the
    # session's own object either way; the batch's changes are written once, at commit.
    with tx.session.no_autoflush:
        handoff = await tx.session.scalar(
            select(Handoff).where(Handoff.task_id == task_id, Handoff.kind == TASK)
            .with_for_update())
    if handoff is None:
        log.warning("%s %s: no hand-off of task %s here; ignored", msg.type, msg.message_id,
                    task_id)
    return handoff
