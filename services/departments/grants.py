"""免申即享 (002 §六): an approval that confirms a household's status is announced, and the
department giving the grant records it as a task already approved — once."""

import logging

from sqlalchemy import select

from contracts import (
    Applicant,
    ApplicationPersonal,
    Department,
    Household,
    HouseholdStatusConfirmed,
    HouseholdStatusConfirmedMessage,
    Outcome,
    subjects,
)
from services.common import personal
from services.common.masking import mask_name
from services.common.policy import Policy
from services.common.uow import Transaction
from services.departments import tasks
from services.departments.domain import TaskStatus
from services.departments.models import Task
from services.departments.rules.grants import (
    AUTOMATIC_DECIDER,
    automatic_task_id,
    confirmed_items,
    grant_reason,
    grants_of,
    next_month_start,
    students,
)

log = logging.getLogger(__name__)


def confirm_household(tx: Transaction, task: Task, policy: Policy) -> None:
    """After ``task``'s approval: publish HouseholdStatusConfirmed if one of its items is the
    status some grant follows (nothing otherwise)."""
    items = confirmed_items(policy, task.items)
    if not items:
        return
    assert task.decided_at is not None
    masked, sealed = personal.seal_application(tx.bus_key, task.application_id, ApplicationPersonal(
        applicant=Applicant.model_validate(task.applicant),
        household=Household.model_validate(task.household)))
    tx.publish(
        HouseholdStatusConfirmedMessage,
        HouseholdStatusConfirmed(
            application_id=task.application_id, task_id=task.id, items=items,
            applicant=masked.applicant, household=masked.household,
            confirmed_by=task.decided_by or "", confirmed_at=task.decided_at,
            effective_from=next_month_start(task.decided_at), sealed=sealed,
            application_items=list(task.application_items or [])),
        subject=subjects.HOUSEHOLD_STATUS_CONFIRMED,
        message_id=f"{task.id}:household_confirmed",
    )


async def grant_automatically(tx: Transaction, msg: HouseholdStatusConfirmedMessage, *,
                              department: Department, policy: Policy) -> None:
    """Consumes HouseholdStatusConfirmed: for each grant of this department that the status
    gives, a task already approved for the household's students (automatic); publishes its
    TaskDecided(automatic=True). A household without students gets nothing. Idempotent: the
    task's id comes from the application, so a second delivery finds it and does nothing."""
    event = msg.payload
    household = personal.open_application(tx.bus_key, event.application_id, event.sealed,
                                          ApplicationPersonal(applicant=event.applicant,
                                                              household=event.household))
    beneficiaries = students(list(household.household.members))
    for grant in grants_of(policy, department, list(event.items)):
        if not beneficiaries:
            log.info("免申即享: application %s confirmed %s, but its household has no student: "
                     "no %s to grant", event.application_id, ",".join(event.items), grant.grant)
            continue
        task_id = automatic_task_id(event.application_id, department, grant.grant)
        if await tx.session.get(Task, task_id) is not None:
            continue
        # The announcement may come before this department's own task of the application
        # (the two travel different subjects): what the application asks is on the event.
        if (grant.grant in event.application_items
                or await _applied_for(tx, event.application_id, grant.grant)):
            # The application asked for it too: its own task decides it (no double help).
            log.info("免申即享: application %s already asks %s for %s; its own task decides it",
                     event.application_id, department, grant.grant)
            continue
        now = tx.clock.now()
        start = event.effective_from
        task = Task(
            id=task_id, application_id=event.application_id, receipt_no="", items=[grant.grant],
            status=TaskStatus.decided, applicant=household.applicant.model_dump(mode="json"),
            household=household.household.model_dump(mode="json"), materials=[],
            description=f"免申即享：{grant.basis}", received_at=event.confirmed_at,
            assigned_at=now, due_at=now, outcome=Outcome.approved,
            reason=grant_reason(grant, beneficiaries, start), decided_by=AUTOMATIC_DECIDER,
            decided_at=now, automatic=True, routing_note=f"确认任务 {event.task_id}")
        tx.session.add(task)
        tasks.record(tx, task_id, "granted_automatically", AUTOMATIC_DECIDER,
                     confirmed_task=event.task_id, confirmed_items=list(event.items),
                     students=[mask_name(m.name) for m in beneficiaries],
                     effective_from=start.isoformat())
        tasks.publish_decided(tx, task, department, caused_by=msg)


async def _applied_for(tx: Transaction, application_id: str, item: str) -> bool:
    rows = await tx.session.scalars(select(Task).where(Task.application_id == application_id))
    return any(item in t.items and not t.automatic for t in rows)
