"""A task returned by its department (\"not ours\"): re-routed once, then the joint meeting."""

import logging

from sqlalchemy import select

from contracts import DEPARTMENT_NAMES, Department, Item, TaskReturnedMessage
from services.common.policy import Policy
from services.common.uow import Transaction
from services.routing import dispatch, domain
from services.routing.handlers import task_handoff
from services.routing.models import TASK, Handoff, RoutedApplication

log = logging.getLogger(__name__)

REROUTE = "routing:reroute"  # who hands the items on after a return, in the ledger


async def reroute_returned(tx: Transaction, msg: TaskReturnedMessage, *, policy: Policy) -> None:
    """Consumes TaskReturned; publishes TaskAssigned + ApplicationRouted (re-routed) or JointMeetingQueued."""
    event = msg.payload
    handoff = await task_handoff(tx, event.task_id, msg)
    if handoff is None:
        return
    if handoff.returned_at is not None or handoff.decided_at is not None:
        log.warning("task %s returned, but it is %s already; ignored", event.task_id,
                    "returned" if handoff.returned_at else "decided")
        return
    handoff.returned_by, handoff.returned_at = event.returned_by[:100], event.returned_at
    handoff.returned_reason = event.reason
    handoff.suggested_department = event.suggested_department
    app = await tx.session.get(RoutedApplication, handoff.application_id)
    if app is None:  # routed before routing kept applications: nothing to hand on
        log.error("task %s returned, but routing holds no data of application %s to route "
                  "it again: the window must hand it on by hand", event.task_id,
                  handoff.application_id)
        return
    earlier = (await tx.session.scalars(select(Handoff).where(
        Handoff.application_id == handoff.application_id, Handoff.kind == TASK,
        Handoff.id != handoff.id))).all()
    tried: dict[Item, set[Department]] = {}
    for h in [*earlier, handoff]:
        for item in h.items:
            tried.setdefault(Item(item), set()).add(Department(h.to_department))
    returned_before = {Item(i) for h in earlier if h.returned_at is not None for i in h.items}
    items = [Item(i) for i in handoff.items]
    plan = domain.plan_return(items, returning=Department(handoff.to_department),
                              suggested=event.suggested_department, tried=tried,
                              returned_before=returned_before, policy=policy)
    start = dispatch.limits_from(app)
    now = tx.clock.now()
    note = f"退回改派：{event.reason}"
    tasks = [domain.plan_task(domain.task_id(app.application_id, department,
                                             f"reroute:{handoff.task_id}"),
                              department, its, start=start, handed_at=now, policy=policy,
                              transfer_from=now)
             for department, its in plan.reroutes.items()]
    returning = DEPARTMENT_NAMES.get(Department(handoff.to_department), handoff.to_department)
    went: list[str] = []
    if tasks:
        revision = await dispatch.next_revision(tx, app.application_id)
        for task in tasks:
            dispatch.hand_to_department(
                tx, app, task, from_party=REROUTE, revision=revision,
                note=f"{note}（原承办：{returning}）", caused_by=msg)
            went.append(str(task.department))
        dispatch.announce(tx, app.application_id, tasks, revision=revision, reason=note,
                          message_id=f"{app.application_id}:rerouted:{handoff.task_id}",
                          caused_by=msg)
    if plan.joint_meeting:
        case = dispatch.queue_joint_meeting(
            tx, app, plan.joint_meeting, cause=f"returned:{handoff.task_id}",
            reason=plan.reason, from_party=REROUTE, policy=policy, caused_by=msg)
        went.append(f"joint_meeting:{case.case_id}")
    handoff.rerouted_to = ", ".join(went)[:200]
