"""The window's combined view, kept from the other services' events (one transaction each)."""



from contracts import (
    ApplicationCompletedMessage,
    ApplicationRoutedMessage,
    ItemsReferredMessage,
    JointMeetingQueuedMessage,
    NotificationSentMessage,
    TaskAcceptedMessage,
    TaskDeadlineExtendedMessage,
    TaskDecidedMessage,
    TaskMaterialsRequestedMessage,
    TaskReturnedMessage,
)
from services.common import personal
from services.common.amounts import amount_problem
from services.common.conflicts import first_stands
from services.common.deliveries import Refused
from services.common.policy import Policy
from services.common.timefmt import beijing_text
from services.common.uow import Transaction
from services.intake import checks, domain, notices, rows, texts
from services.intake.domain import CLOSED, ItemStatus
from services.intake.models import (
    Application,
    ApplicationItem,
    MaterialRequest,
)


async def record_routed(tx: Transaction, msg: ApplicationRoutedMessage) -> None:
    """Consumes ApplicationRouted: each item now has its department's task and due time."""
    event = msg.payload
    items = await rows.items(tx, event.application_id)
    for task in event.tasks:
        for code in task.items:
            row = items.get(code)
            if row is None or row.routing_revision > event.revision:
                continue  # an older plan arriving late
            if row.task_id != task.task_id:
                row.status = ItemStatus.assigned
            row.task_id, row.department = task.task_id, task.department
            row.routing_revision = event.revision
            row.due_at = task.items_due_at.get(code, task.due_at)
            row.status = domain.advance(row.status, ItemStatus.assigned)
        detail = f"分办：{texts.item_names(task.items)}，办结时限 {beijing_text(task.due_at)}"
        if event.reason:
            detail = f"{event.reason}；{detail}"
        rows.history(tx, event.application_id, event.routed_at, "assigned", task.department,
                 "routing", detail)
    await rows.refresh_status(tx, event.application_id, items)


async def record_accepted(tx: Transaction, msg: TaskAcceptedMessage) -> None:
    """Consumes TaskAccepted: the department has taken the task on."""
    event = msg.payload
    items = await rows.items(tx, event.application_id)
    for row in items.values():
        if row.task_id == event.task_id:
            row.accepted_by, row.accepted_at = event.accepted_by, event.accepted_at
            row.status = domain.advance(row.status, ItemStatus.accepted)
    rows.history(tx, event.application_id, event.accepted_at, "accepted", event.department,
             event.accepted_by, "部门已受理")
    await rows.refresh_status(tx, event.application_id, items)


async def record_decided(tx: Transaction, msg: TaskDecidedMessage, *, policy: Policy) -> None:
    """Consumes TaskDecided: the department's outcome for each of the task's items (an item
    granted without application, 免申即享, joins the view). A task decides once: the same
    decision again is a no-op, a different one is refused (a dead letter) and changes nothing;
    so is a decision that does not fit the application (another department's task, items it
    does not have, an amount outside the policy, a grant without the status it follows)."""
    event = msg.payload
    items = await rows.items(tx, event.application_id)
    if await rows.state(tx, event.application_id) is None:
        raise Refused(f"a decision of task {event.task_id} for application "
                      f"{event.application_id}, which the window never registered")
    decided = [r for r in items.values()
               if r.task_id == event.task_id and r.status == ItemStatus.decided]
    if decided:
        first = decided[0]
        first_stands(f"the decision of task {event.task_id}",
                     {"outcome": first.outcome, "amount": first.amount, "reason": first.reason},
                     {"outcome": event.outcome, "amount": event.amount, "reason": event.reason},
                     private=("reason",))
        return
    if problem := amount_problem(policy, list(event.items), event.outcome, event.amount,
                                 automatic=event.automatic):
        raise Refused(f"the decision of task {event.task_id}: {problem}")
    if event.automatic:
        checks.grant_basis(policy, event, items)
    else:
        checks.own_task(event, items)
    for code in event.items:
        row = items.get(code)
        if row is not None and event.automatic and row.task_id not in (None, event.task_id):
            continue  # asked for it too: its own task decides it
        if row is None:
            if not event.automatic:
                continue
            row = ApplicationItem(application_id=event.application_id, item=code, position=len(items),
                                  department=event.department, status=ItemStatus.pending,
                                  routing_revision=0)
            tx.session.add(row)
            await tx.session.flush()  # seen by the batch's next query (no autoflush there)
            items[code] = row
        row.task_id, row.department = event.task_id, event.department
        row.outcome, row.amount, row.reason = event.outcome, event.amount, event.reason
        row.decided_by, row.decided_at = event.decided_by, event.decided_at
        row.status = ItemStatus.decided
    verdict = "同意" if event.outcome == "approved" else f"不予批准：{event.reason}"
    if event.automatic:
        verdict = f"免申即享：{event.reason}"
    rows.history(tx, event.application_id, event.decided_at, "decided", event.department,
             event.decided_by, verdict)
    await rows.refresh_status(tx, event.application_id, items)


async def record_returned(tx: Transaction, msg: TaskReturnedMessage) -> None:
    """Consumes TaskReturned: the department says the items are not theirs; routing re-routes."""
    event = msg.payload
    items = await rows.items(tx, event.application_id)
    for code in event.items:
        row = items.get(code)
        if row is not None and row.task_id == event.task_id and row.status not in CLOSED:
            row.status = ItemStatus.returned
    rows.history(tx, event.application_id, event.returned_at, "returned", event.department,
             event.returned_by, f"退回：{event.reason}")
    await rows.refresh_status(tx, event.application_id, items)


async def record_joint_meeting(tx: Transaction, msg: JointMeetingQueuedMessage) -> None:
    """Consumes JointMeetingQueued: the items wait for the joint meeting to assign them."""
    event = msg.payload
    items = await rows.items(tx, event.application_id)
    for code in event.items:
        row = items.get(code)
        if row is not None and row.status not in CLOSED:
            row.status, row.task_id, row.department = ItemStatus.joint_meeting, None, None
            row.due_at = event.assign_due_at
    rows.history(tx, event.application_id, event.queued_at, "joint_meeting", None, "routing",
             f"提交联席会议：{event.reason}")
    await rows.refresh_status(tx, event.application_id, items)


async def record_referred(tx: Transaction, msg: ItemsReferredMessage) -> None:
    """Consumes ItemsReferred: the items go to a charity or social organisation (closed here)."""
    event = msg.payload
    items = await rows.items(tx, event.application_id)
    for code in event.items:
        if row := items.get(code):
            row.status, row.outcome, row.go_to = ItemStatus.referred, "referred", event.organisation
            row.reason, row.decided_by, row.decided_at = event.note, event.referred_by, event.referred_at
    rows.history(tx, event.application_id, event.referred_at, "referred", None, event.referred_by,
             f"转介至 {event.organisation}")
    await rows.refresh_status(tx, event.application_id, items)


async def record_extended(tx: Transaction, msg: TaskDeadlineExtendedMessage) -> None:
    """Consumes TaskDeadlineExtended: the items' new due time, with who approved it and why."""
    event = msg.payload
    items = await rows.items(tx, event.application_id)
    for code in event.items:
        row = items.get(code)
        if row is not None and row.task_id == event.task_id:
            row.due_at = event.due_at
    rows.history(tx, event.application_id, event.extended_at, "extended", event.department,
             event.approved_by, f"延期至 {beijing_text(event.due_at)}：{event.reason}")


async def relay_materials_request(tx: Transaction, msg: TaskMaterialsRequestedMessage, *,
                                  policy: Policy) -> None:
    """Consumes TaskMaterialsRequested; publishes ApplicationMaterialsRequested (one notice)."""
    event = msg.payload
    app = await tx.session.get(Application, event.application_id)
    if app is None or await tx.session.get(MaterialRequest, msg.message_id) is not None:
        return
    codes = [m.code for m in event.materials]
    tx.session.add(MaterialRequest(id=msg.message_id, application_id=app.id,
                                   task_id=event.task_id, department=event.department,
                                   materials=codes, note=event.note,
                                   requested_at=event.requested_at))
    items = await rows.items(tx, app.id)
    for row in items.values():
        if row.task_id == event.task_id and row.status not in CLOSED:
            row.status = ItemStatus.awaiting_materials
    notices.request_materials(tx, app, policy, {m.code: m.items for m in event.materials},
                              requested_by=str(event.department), task_id=event.task_id,
                              note=event.note, message_id=f"{msg.message_id}:relayed")
    rows.history(tx, app.id, event.requested_at, "materials_requested", event.department,
             event.requested_by, "部门要求补充材料：" + "、".join(m.name for m in event.materials))


async def record_notification(tx: Transaction, msg: NotificationSentMessage) -> None:
    """Consumes NotificationSent: a notice went to the applicant or the window."""
    event = msg.payload
    recipient, text = personal.open_notice(tx.bus_key, event.application_id, event.sealed,
                                           event.recipient, event.text)
    tx.gather(rows.write_notifications, {
        "id": event.notification_id, "application_id": event.application_id,
        "channel": event.channel, "recipient": recipient, "kind": event.kind, "text": text,
        "sent_at": event.sent_at})


async def record_completed(tx: Transaction, msg: ApplicationCompletedMessage) -> None:
    """Consumes ApplicationCompleted: every part is closed and the applicant was told."""
    event = msg.payload
    if await rows.state(tx, event.application_id) is None:
        return
    await rows.set_columns(tx, event.application_id, completed_at=event.completed_at)
    rows.history(tx, event.application_id, event.completed_at, "completed", None, "notify",
             "全部事项办结")
    await rows.refresh_status(tx, event.application_id, await rows.items(tx, event.application_id))


