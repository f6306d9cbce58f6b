"""Notify's handlers: each runs inside one transaction (case state, notices, outbox)."""

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from contracts import (
    ApplicationCompleted,
    ApplicationCompletedMessage,
    ApplicationHandedOverMessage,
    ApplicationMaterialsRequestedMessage,
    ApplicationPersonal,
    ApplicationRefusedMessage,
    ApplicationRoutedMessage,
    ApplicationSubmittedMessage,
    ItemsReferredMessage,
    NotificationSent,
    NotificationSentMessage,
    SupervisionEscalatedMessage,
    SupervisionWarnedMessage,
    TaskDecidedMessage,
    subjects,
)
from contracts import (
    Contact as WireContact,
)
from services.common import personal
from services.common.conflicts import first_stands
from services.common.tracing import APPLICATION_ID, extract, inject
from services.common.uow import Transaction
from services.notify import texts
from services.notify.adapters import Channels
from services.notify.domain import Case, Contact, DecisionInfo, Notice
from services.notify.models import CaseRow, DecisionRow, NoticeRow

Wake = Callable[[], None]  # called after a commit that queued notices: send them now


async def record_submitted(tx: Transaction, msg: ApplicationSubmittedMessage, *, wake: Wake) -> None:
    """Consumes ApplicationSubmitted: who to tell, and which window staff received it."""
    app = msg.payload
    applicant = personal.open_application(tx.bus_key, app.application_id, app.sealed,
                                          ApplicationPersonal(applicant=app.applicant,
                                                              household=app.household)).applicant
    row = await _case(tx, app.application_id)
    row.receipt_no, row.name, row.phone = app.receipt_no, applicant.name, applicant.phone
    row.window_staff = row.window_staff or app.owner or app.received_by
    row.expected_items = [str(i) for i in app.items]
    await _evaluate(tx, row, wake)


async def record_materials_requested(tx: Transaction, msg: ApplicationMaterialsRequestedMessage,
                                     *, wake: Wake) -> None:
    """Consumes ApplicationMaterialsRequested: the one-time notice of everything missing."""
    event = msg.payload
    contact = await _remember_contact(tx, event.application_id, event.contact, event.sealed)
    _queue(tx, event.application_id, texts.materials_notices(event, contact, msg.message_id),
           wake)


async def record_refused(tx: Transaction, msg: ApplicationRefusedMessage, *, wake: Wake) -> None:
    """Consumes ApplicationRefused: the written refusal, with where to go instead."""
    event = msg.payload
    contact = await _remember_contact(tx, event.application_id, event.contact, event.sealed)
    _queue(tx, event.application_id, texts.refusal_notices(event, contact, msg.message_id), wake)


async def record_referred(tx: Transaction, msg: ItemsReferredMessage, *, wake: Wake) -> None:
    """Consumes ItemsReferred: tells of the referral; the items count as closed."""
    event = msg.payload
    row = await _case(tx, event.application_id)
    row.referred_items = sorted({*(row.referred_items or []), *map(str, event.items)})
    if row.phone:
        contact = Contact(row.receipt_no or "", row.name or "", row.phone, row.window_staff or "")
        _queue(tx, event.application_id, texts.referral_notices(event, contact, msg.message_id),
               wake)
    await _evaluate(tx, row, wake)


async def record_alert(tx: Transaction, msg: SupervisionEscalatedMessage | SupervisionWarnedMessage,
                       *, wake: Wake) -> None:
    """Consumes SupervisionEscalated and SupervisionWarned: tells the supervisor named."""
    row = await tx.session.get(CaseRow, msg.payload.application_id)
    escalated = msg.type == SupervisionEscalatedMessage.EVENT
    notice = texts.alert_notice(msg.payload, row.receipt_no if row else None, escalated)
    _queue(tx, msg.payload.application_id, [notice], wake)


async def record_handed_over(tx: Transaction, msg: ApplicationHandedOverMessage, *,
                             wake: Wake) -> None:
    """Consumes ApplicationHandedOver: the window's notices now go to the new owner."""
    event = msg.payload
    row = await _case(tx, event.application_id)
    row.window_staff = event.to_staff
    _queue(tx, event.application_id, [texts.handover_notice(
        row.receipt_no, event.application_id, event.from_staff, event.to_staff, event.reason,
        msg.message_id)], wake)


async def record_routed(tx: Transaction, msg: ApplicationRoutedMessage, *, wake: Wake) -> None:
    """Consumes ApplicationRouted: the tasks that must all be decided to close the case."""
    row = await _case(tx, msg.payload.application_id)
    row.expected_tasks = sorted(t.task_id for t in msg.payload.tasks)
    await _evaluate(tx, row, wake)


async def record_decided(tx: Transaction, msg: TaskDecidedMessage, *, wake: Wake) -> None:
    """Consumes TaskDecided; queues the notices, and publishes ApplicationCompleted at the last.
    A task decides once: the same decision again is a no-op, a different one is refused."""
    d = msg.payload
    decisions = await _decisions(tx, d.application_id)
    first = decisions.get(d.task_id)
    if first is None:
        with tx.session.no_autoflush:  # one made earlier in the batch is in ``decisions``
            first = await tx.session.get(DecisionRow, d.task_id)
    if first is not None:
        first_stands(f"the decision of task {d.task_id}",
                     {"outcome": first.outcome, "amount": first.amount, "reason": first.reason,
                      "items": first.items, "automatic": bool(first.automatic)},
                     {"outcome": d.outcome, "amount": d.amount, "reason": d.reason,
                      "items": d.items, "automatic": d.automatic}, private=("reason",))
        return
    row = DecisionRow(task_id=d.task_id, application_id=d.application_id,
                      department=d.department, items=list(d.items), outcome=d.outcome,
                      amount=d.amount, reason=d.reason, automatic=d.automatic)
    tx.session.add(row)
    decisions[d.task_id] = row
    await _evaluate(tx, await _case(tx, d.application_id), wake)


async def deliver_pending(tx: Transaction, channels: Channels, limit: int = 200) -> int:
    """Send queued notices through their channel; publishes NotificationSent for each."""
    # Claimed (PostgreSQL): a copy of notify skips the notices another copy is sending.
    rows = (await tx.session.scalars(
        select(NoticeRow).where(NoticeRow.sent_at.is_(None)).order_by(NoticeRow.created_at)
        .limit(limit).with_for_update(skip_locked=True))).all()
    # The applicants' names, in one read for all the notices (not a read, and a flush of the
    # notice before, per notice): masked wherever a text is shown but in the notice itself.
    with tx.session.no_autoflush:
        cases = {c.application_id: c for c in await tx.session.scalars(select(CaseRow).where(
            CaseRow.application_id.in_({r.application_id for r in rows})))} if rows else {}
    for row in rows:
        case = cases.get(row.application_id)
        names = [case.name] if case is not None and case.name else []
        # At least once: a crash after sending and before commit sends it again with the same
        # id, which a real gateway uses to drop the repeat.
        with tx.tracer.start_as_current_span(
            f"notice {row.channel} send", context=extract(row.trace_parent),
            attributes={APPLICATION_ID: row.application_id, "onedoor.notice.kind": row.kind},
        ) as span:
            await channels.send(Notice(row.id, row.channel, row.recipient, row.kind, row.text,
                                       names=tuple(names)))
        tx.causing_span = span
        row.sent_at = tx.clock.now()
        recipient, text, sealed = personal.seal_notice(tx.bus_key, row.application_id,
                                                       row.recipient, row.text, names)
        tx.publish(
            NotificationSentMessage,
            NotificationSent(notification_id=row.id, application_id=row.application_id,
                             channel=row.channel, recipient=recipient, kind=row.kind,
                             text=text, sent_at=row.sent_at, sealed=sealed),
            subject=subjects.NOTIFICATION_SENT,
            message_id=f"{row.id}:sent",
        )
    return len(rows)


async def _remember_contact(tx: Transaction, application_id: str, contact: WireContact,
                            sealed: str | None) -> WireContact:
    """The contact in full (opened if the event sealed it), remembered for later notices."""
    contact = personal.open_contact(tx.bus_key, application_id, sealed, contact)
    row = await _case(tx, application_id)
    row.receipt_no, row.name, row.phone = contact.receipt_no, contact.name, contact.phone
    row.window_staff = row.window_staff or contact.window_staff
    return contact


def _queue(tx: Transaction, application_id: str, notices: list[Notice], wake: Wake) -> None:
    now = tx.clock.now()
    for n in notices:
        tx.session.add(NoticeRow(id=n.id, application_id=application_id, channel=n.channel,
                                 recipient=n.recipient, kind=n.kind, text=n.text, created_at=now,
                                 trace_parent=inject(tx.causing_span) if tx.causing_span else None))
    if notices:
        tx.after_commit.append(wake)


async def _case(tx: Transaction, application_id: str) -> CaseRow:
    """The application's case row, read once per batch (an earlier message of the batch may
    have made it: it is remembered, so the read needs no flush)."""
    key = (CaseRow, application_id)
    row = tx.memo.get(key)
    if row is not None:
        return row
    # Locked on PostgreSQL: two copies of notify recording the last two decisions of one
    # application at once would each miss the other's and neither complete it.
    shared = tx.session.bind.dialect.name == "postgresql"
    with tx.session.no_autoflush:
        row = await tx.session.get(CaseRow, application_id, with_for_update=shared or None)
    if row is None:
        row = CaseRow(application_id=application_id)
        tx.session.add(row)
    tx.memo[key] = row
    return row


async def _decisions(tx: Transaction, application_id: str) -> dict[str, DecisionRow]:
    """The application's decisions by task, read once per batch; the handlers add the ones
    they make, so the batch's rows are written once, at commit, not flushed per message."""
    key = (DecisionRow, application_id)
    found = tx.memo.get(key)
    if found is None:
        with tx.session.no_autoflush:
            found = {d.task_id: d for d in await tx.session.scalars(
                select(DecisionRow).where(DecisionRow.application_id == application_id))}
        tx.memo[key] = found
    return found


async def _evaluate(tx: Transaction, row: CaseRow, wake: Wake) -> None:
    decisions = await _decisions(tx, row.application_id)
    case = Case(
        application_id=row.application_id,
        contact=Contact(row.receipt_no, row.name, row.phone, row.window_staff)
        if row.phone else None,
        expected_tasks=set(row.expected_tasks) if row.expected_tasks is not None else None,
        decisions={k: DecisionInfo(k, d.department, tuple(d.items), d.outcome,
                                   Decimal(d.amount) if d.amount is not None else None, d.reason,
                                   bool(d.automatic))
                   for k, d in decisions.items()},
        notified_tasks={k for k, d in decisions.items() if d.notified},
        completed=row.completed_at is not None,
        expected_items=set(row.expected_items) if row.expected_items is not None else None,
        referred_items=set(row.referred_items or []),
    )
    now = tx.clock.now()
    notices = case.pending_notices()
    if case.contact is not None:
        for task_id in case.decisions.keys() - case.notified_tasks:
            decisions[task_id].notified = True
    if case.is_complete():
        approved, rejected, closing = case.completion()
        notices += closing
        row.completed_at = now
        tx.publish(
            ApplicationCompletedMessage,
            ApplicationCompleted(application_id=row.application_id, approved_items=approved,
                                 rejected_items=rejected, completed_at=now),
            subject=subjects.APPLICATION_COMPLETED,
            message_id=f"{row.application_id}:completed",
        )
    _queue(tx, row.application_id, notices, wake)
