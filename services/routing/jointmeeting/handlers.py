"""The joint meeting's decisions, one transaction each: assign a case's items to a
department, or refer them to an organisation. Retried requests change nothing."""

from sqlalchemy import select

from contracts import DEPARTMENT_NAMES, Department, Item
from services.common.policy import Policy
from services.common.tracing import tag
from services.common.uow import Transaction
from services.routing import dispatch, domain, traces
from services.routing.errors import Conflict, Invalid, NotFound
from services.routing.jointmeeting.domain import (
    ASSIGNED,
    REFERRED,
    RESOLVED,
    is_repeat,
)
from services.routing.models import JOINT_MEETING, Handoff, JointMeetingCase, RoutedApplication


async def assign(tx: Transaction, case_id: str, department: Department, by: str, note: str, *,
                 policy: Policy) -> JointMeetingCase:
    """Assign the case's items to a department, as ``by`` (a supervisor's account, checked by
    the HTTP layer); publishes TaskAssigned and ApplicationRouted."""
    if department not in policy.departments:
        raise Invalid("unknown_department", f"{department} is not a department of this region",
                      "本地区没有该部门", field="department")
    case = await _open_case(tx, case_id, ASSIGNED, str(department), by)
    if case.status == RESOLVED:
        return case
    app = await _application(tx, case)
    request = tx.causing_span  # the staff member's request: the cause becomes the case's trace
    traces.continue_trace(tx, case.trace_parent, "joint meeting assign",
                          application_id=case.application_id, items=list(case.items))
    now = tx.clock.now()
    task = domain.plan_task(domain.task_id(app.application_id, department, case_id), department,
                            [Item(i) for i in case.items], start=dispatch.limits_from(app),
                            handed_at=now, policy=policy, transfer_from=now)
    reason = f"联席会议指派：{DEPARTMENT_NAMES[department]}" + (f"（{note}）" if note else "")
    tag(request, application_id=app.application_id, task_id=task.task_id,
        department=department)
    revision = await dispatch.next_revision(tx, app.application_id)
    dispatch.hand_to_department(tx, app, task, from_party=f"joint_meeting:{by}",
                                revision=revision, note=reason, case_id=case_id)
    dispatch.announce(tx, app.application_id, [task], revision=revision, reason=reason,
                      message_id=f"{app.application_id}:routed:{case_id}")
    await _resolve(tx, case, ASSIGNED, str(department), by, note, task.task_id)
    return case


async def refer(tx: Transaction, case_id: str, organisation: str, by: str, note: str, *,
                policy: Policy) -> JointMeetingCase:
    """Refer the case's items to an organisation (转介), as ``by`` (a supervisor's account);
    publishes ItemsReferred."""
    case = await _open_case(tx, case_id, REFERRED, organisation, by)
    if case.status == RESOLVED:
        return case
    app = await _application(tx, case)
    traces.continue_trace(tx, case.trace_parent, "joint meeting refer",
                          application_id=case.application_id, items=list(case.items))
    dispatch.refer(tx, app, [Item(i) for i in case.items], organisation, by=by,
                   from_party=f"joint_meeting:{by}", key=f"case:{case_id}",
                   message_id=f"{app.application_id}:referred:{case_id}", note=note,
                   case_id=case_id)
    await _resolve(tx, case, REFERRED, organisation, by, note, None)
    return case


async def _open_case(tx: Transaction, case_id: str, resolution: str, to: str,
                     by: str) -> JointMeetingCase:
    """The case, locked; a resolved one only if this is the same resolution again."""
    case = await tx.session.scalar(
        select(JointMeetingCase).where(JointMeetingCase.case_id == case_id).with_for_update())
    if case is None:
        raise NotFound("case_not_found", f"no joint-meeting case {case_id}", "未找到该联席会议事项")
    tag(tx.causing_span, application_id=case.application_id)
    if case.status == RESOLVED and not is_repeat(case, resolution, to, by):
        raise Conflict("case_resolved",
                       f"the case was already {case.resolution} ({case.resolved_to}) by "
                       f"{case.resolved_by}",
                       f"该事项已由 {case.resolved_by} 处理（{case.resolved_to}），不能再次处理")
    return case


async def _application(tx: Transaction, case: JointMeetingCase) -> RoutedApplication:
    app = await tx.session.get(RoutedApplication, case.application_id)
    if app is None:  # routed before routing kept applications
        raise Conflict("application_unknown",
                       f"routing holds no data of application {case.application_id}",
                       "分办系统中没有该申请的资料，请由窗口人工转办")
    return app


async def _resolve(tx: Transaction, case: JointMeetingCase, resolution: str, to: str, by: str,
                   note: str, task_id: str | None) -> None:
    """Close the case, and its ledger line (the meeting's result)."""
    now = tx.clock.now()
    case.status, case.resolution, case.resolved_to = RESOLVED, resolution, to
    case.resolved_by, case.resolved_at, case.note, case.task_id = by, now, note or None, task_id
    line = await tx.session.scalar(select(Handoff).where(
        Handoff.task_id == f"{JOINT_MEETING}:{case.case_id}"))
    if line is not None:
        line.result, line.decided_by, line.decided_at = resolution, by[:50], now
        line.result_reason, line.rerouted_to = note or None, to[:200]
