"""A department's handlers: each runs inside one transaction (task, its history, outbox).

This module: a task's arrival, acceptance, review, decision and emergency paperwork. Returns
and materials are in ``handoffs``, 免申即享 in ``grants``, substitution in ``posts``.
"""

from contracts import (
    ApplicationPersonal,
    Department,
    Outcome,
    TaskAccepted,
    TaskAcceptedMessage,
    TaskAssignedMessage,
    TaskPaperworkCompleted,
    TaskPaperworkCompletedMessage,
    subjects,
)
from services.common import personal
from services.common.policy import Policy
from services.common.tracing import inject
from services.common.uow import Transaction
from services.departments import domain, grants, posts, tasks
from services.departments.domain import Decision, TaskStatus
from services.departments.models import Task
from services.departments.rules import rules_for
from services.departments.rules.duties import can_review, check_duties
from services.departments.rules.emergency import (
    can_complete_paperwork,
    check_emergency,
    paperwork_due_at,
)
from services.departments.rules.money import check_amount
from services.departments.tasks import TaskNotFound

__all__ = ["TaskNotFound", "accept_task", "complete_paperwork", "decide_task", "receive_task",
           "review_task"]


async def receive_task(tx: Transaction, msg: TaskAssignedMessage, *, department: Department,
                       policy: Policy) -> None:
    """Consumes TaskAssigned for this department: the task joins its queue, with the holder
    of its post (A, or B while A is away) as its assignee. Publishes nothing."""
    t = msg.payload
    if await tx.session.get(Task, t.task_id) is not None:  # routing sent it again: known
        return
    post, assignee = await posts.assignee_for(tx.session, department, policy, list(t.items),
                                             tx.clock.now())
    # The applicant as intake sealed it for the departments (routing passed it on unread).
    part = personal.open_application(tx.bus_key, t.application_id, t.sealed, ApplicationPersonal(
        applicant=t.applicant, household=t.household, description=t.description))
    tx.session.add(Task(
        id=t.task_id, application_id=t.application_id, receipt_no=t.receipt_no,
        items=list(t.items), status=TaskStatus.assigned,
        applicant=part.applicant.model_dump(mode="json"),
        household=part.household.model_dump(mode="json"), materials=t.materials,
        description=part.description, received_at=t.received_at, assigned_at=t.assigned_at,
        due_at=t.due_at, accept_due_at=t.accept_due_at, routing_note=t.routing_note or None,
        post=post, assignee=assignee, automatic=False,
        application_items=list(t.application_items) or None,
        trace_parent=inject(tx.causing_span) if tx.causing_span else None))
    tasks.record(tx, t.task_id, "received", None, post=post, assignee=assignee,
                 routing_note=t.routing_note)


async def accept_task(tx: Transaction, department: Department, task_id: str, by: str) -> Task:
    """Accept a task; publishes TaskAccepted (once, however often the request is retried)."""
    task = await tasks.get_task(tx, task_id)
    if domain.can_accept(task.status, task.accepted_by, by):
        if task.status == TaskStatus.assigned:  # one awaiting materials keeps waiting
            task.status = TaskStatus.accepted
        task.accepted_by, task.accepted_at = by, tx.clock.now()
        tasks.record(tx, task.id, "accepted", by)
        tasks.continue_task_trace(tx, task, "task accept")
        tx.publish(
            TaskAcceptedMessage,
            TaskAccepted(task_id=task.id, application_id=task.application_id,
                         department=department, accepted_by=by, accepted_at=task.accepted_at),
            subject=subjects.for_department(subjects.TASK_ACCEPTED, department),
            message_id=f"{task.id}:accepted",
        )
    return task


async def review_task(tx: Transaction, task_id: str, by: str, opinion: str, *,
                      policy: Policy) -> Task:
    """初审 of a task needing separation of duties, by someone other than its acceptor.
    Publishes nothing (the window hears of the decision)."""
    task = await tasks.get_task(tx, task_id)
    reviewed = (task.reviewed_by, task.review_opinion or "") if task.reviewed_by else None
    if can_review(task.status, required=rules_for(policy, task.items).separation_of_duties,
                  accepted_by=task.accepted_by, reviewed=reviewed, by=by, opinion=opinion):
        task.reviewed_by, task.reviewed_at, task.review_opinion = by, tx.clock.now(), opinion
        tasks.record(tx, task.id, "reviewed", by, opinion=opinion)
        tasks.continue_task_trace(tx, task, "task review")
    return task


async def decide_task(tx: Transaction, department: Department, task_id: str,
                      decision: Decision, *, policy: Policy) -> Task:
    """Decide a task; publishes TaskDecided (once, however often the request is retried), and
    for an approval that confirms a household's status, HouseholdStatusConfirmed (免申即享)."""
    task = await tasks.get_task(tx, task_id)
    rules = rules_for(policy, task.items)
    check_emergency(rules.emergency, decision)
    check_amount(rules.paying, decision, rules.cap_yuan)
    current = None
    if task.outcome:
        current = Decision(Outcome(task.outcome), task.reason or "", task.amount,
                           task.decided_by or "", task.paperwork_due_at is not None)
    if not domain.can_decide(domain.decision_status(task.status, task.accepted_by), current,
                             decision):
        return task
    if rules.separation_of_duties:
        check_duties(accepted_by=task.accepted_by, reviewed_by=task.reviewed_by,
                     decided_by=decision.decided_by)
    now = tx.clock.now()
    task.status, task.decided_at = TaskStatus.decided, now
    task.outcome, task.reason = decision.outcome, decision.reason
    task.amount, task.decided_by = decision.amount, decision.decided_by
    if decision.paperwork_pending and rules.emergency:
        task.paperwork_due_at = paperwork_due_at(rules.emergency, now, policy.calendar)
    tasks.record(tx, task.id, "decided", decision.decided_by, outcome=decision.outcome,
                 amount=decision.amount, reason=decision.reason,
                 paperwork_due_at=task.paperwork_due_at)
    tasks.continue_task_trace(tx, task, "task decide")
    tasks.publish_decided(tx, task, department)
    if decision.outcome == Outcome.approved:
        grants.confirm_household(tx, task, policy)
    return task


async def complete_paperwork(tx: Transaction, department: Department, task_id: str,
                             by: str) -> Task:
    """The paperwork of emergency aid given before it is complete; publishes
    TaskPaperworkCompleted (once)."""
    task = await tasks.get_task(tx, task_id)
    if can_complete_paperwork(due_at=task.paperwork_due_at,
                              completed_by=task.paperwork_completed_by, by=by):
        task.paperwork_completed_by, task.paperwork_completed_at = by, tx.clock.now()
        tasks.record(tx, task.id, "paperwork_completed", by)
        tasks.continue_task_trace(tx, task, "task paperwork")
        tx.publish(
            TaskPaperworkCompletedMessage,
            TaskPaperworkCompleted(task_id=task.id, application_id=task.application_id,
                                   department=department, completed_by=by,
                                   completed_at=task.paperwork_completed_at),
            subject=subjects.for_department(subjects.TASK_PAPERWORK_COMPLETED, department),
            message_id=f"{task.id}:paperwork_completed",
        )
    return task
