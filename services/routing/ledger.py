"""The transfer ledger (分办、转办台账) as data: one line per item of every hand-off.

A line of ``handoffs`` is a task to one department, a referral to an organisation, or items
put before the joint meeting (``kind``); its items share the hand-off's time, acceptance,
return and result, and each keeps its own due time. ``lines`` turns hand-offs into ledger
lines (``ledger_csv`` writes them for Excel); times are shown in Beijing time.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select

from contracts import DEPARTMENT_NAMES, ITEM_NAMES, Department
from services.common.timefmt import LocalTime
from services.common.workdays import SHANGHAI
from services.routing.models import REFERRAL, TASK, Handoff

MAX_LINES = 100_000  # per export; a longer period is cut there (``truncated``)
MAX_DAYS = 366  # the longest period one export covers
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


class LedgerLine(BaseModel):
    """One item of one hand-off. ``late``: closed (decided, returned, referred, assigned by
    the joint meeting) after it was due, or still open and now past due."""

    model_config = ConfigDict(populate_by_name=True)

    application_id: str
    receipt_no: str
    task_id: str = Field(description="the task; for a referral or joint-meeting line, its key")
    kind: str = Field(description="task, referral or joint_meeting")
    item: str
    item_name: str
    from_: str = Field(alias="from", description="who handed it over, e.g. window:<staff>, "
                                                 "routing:reroute, joint_meeting:<convener>")
    to: str = Field(description="the department's code, the organisation of a referral, or "
                                "joint_meeting")
    to_name: str
    handed_at: LocalTime
    transfer_due_at: LocalTime | None = Field(description="by when the window had to hand it on")
    accept_due_at: LocalTime | None
    due_at: LocalTime
    accepted_by: str | None
    accepted_at: LocalTime | None
    result: str | None = Field(description="approved, rejected; referred, assigned (joint "
                                           "meeting); null while open")
    result_reason: str | None = Field(description="what the decision said, whatever its result "
                                                  "(older clients; see the next two)")
    refusal_reason: str | None = Field(description="why it was not approved (rejected only)")
    result_note: str | None = Field(description="what an approval, a referral or the joint "
                                                "meeting's assignment said")
    amount: Decimal | None = Field(description="the amount granted, in yuan")
    decided_by: str | None
    decided_at: LocalTime | None
    returned_by: str | None
    returned_at: LocalTime | None
    returned_reason: str | None
    rerouted_to: str | None = Field(description="where a returned task's items went next")
    routing_note: str | None = Field(description="why it came here (re-route, joint meeting)")
    case_id: str | None = Field(description="the joint-meeting case it belongs to")
    late: bool
    trace_id: str | None = Field(description="the application's trace (OpenTelemetry)")


class LedgerExport(BaseModel):
    """The ledger of a period: hand-offs made from ``from`` to ``to`` (whole days in Beijing
    time, both included), oldest first, at most ``limit`` lines (``truncated`` if cut)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    department: Department | None
    timezone: str = "Asia/Shanghai"
    generated_at: LocalTime
    count: int
    limit: int
    truncated: bool
    lines: list[LedgerLine]


def period_problems(start: date, end: date) -> list[dict[str, str]]:
    """What is wrong with an export period (field errors in the common error body)."""
    problems = []
    for field, day in (("from", start), ("to", end)):
        if not EARLIEST <= day <= LATEST:
            problems.append({"field": field, "reason": f"must be between {EARLIEST} and {LATEST}",
                             "reason_zh": f"日期须在 {EARLIEST} 至 {LATEST} 之间"})
    if problems:
        return problems
    if end < start:
        problems.append({"field": "to", "reason": "must not be before from",
                         "reason_zh": "结束日期不能早于开始日期"})
    elif (end - start).days + 1 > MAX_DAYS:
        problems.append({"field": "to", "reason": f"the period is over {MAX_DAYS} days",
                         "reason_zh": f"一次导出最多 {MAX_DAYS} 天"})
    return problems


def period_query(start: date, end: date, department: Department | None) -> Select[tuple[Handoff]]:
    """Hand-offs made from ``start`` 00:00 to the end of ``end``, Beijing time."""
    since = datetime.combine(start, time(), SHANGHAI).astimezone(UTC)
    until = datetime.combine(end + timedelta(days=1), time(), SHANGHAI).astimezone(UTC)
    query = select(Handoff).where(Handoff.handed_at >= since, Handoff.handed_at < until)
    if department is not None:
        query = query.where(Handoff.to_department == department)
    return query.order_by(Handoff.handed_at, Handoff.id)


def lines(handoffs: Iterable[Handoff], now: datetime) -> list[LedgerLine]:
    out = []
    for h in handoffs:
        dues = h.items_due_at or {}
        closed = h.decided_at or h.returned_at
        kind = h.kind or TASK
        to = (h.to_party or h.to_department) if kind == REFERRAL else h.to_department
        to_name = (DEPARTMENT_NAMES.get(h.to_department, h.to_department)  # type: ignore[call-overload]
                   if kind == TASK else h.to_party or h.to_department)
        refused = h.result == "rejected"
        for item in h.items:
            due = datetime.fromisoformat(dues[item]).astimezone(UTC) if item in dues else h.due_at
            out.append(LedgerLine(
                application_id=h.application_id, receipt_no=h.receipt_no, task_id=h.task_id,
                kind=kind, item=item, item_name=ITEM_NAMES.get(item, item),  # type: ignore[call-overload]
                from_=h.from_party, to=to, to_name=to_name, handed_at=h.handed_at,
                transfer_due_at=h.transfer_due_at, accept_due_at=h.accept_due_at, due_at=due,
                accepted_by=h.accepted_by, accepted_at=h.accepted_at, result=h.result,
                result_reason=h.result_reason, refusal_reason=h.result_reason if refused else None,
                result_note=None if refused else h.result_reason, amount=h.result_amount,
                decided_by=h.decided_by, decided_at=h.decided_at,
                returned_by=h.returned_by, returned_at=h.returned_at,
                returned_reason=h.returned_reason, rerouted_to=h.rerouted_to,
                routing_note=h.routing_note, case_id=h.case_id,
                late=closed > due if closed else now > due, trace_id=h.trace_id))
    return out
