"""The transfer ledger (分办、转办台账) as data: one line per item of every hand-off.

A hand-off is one task to one department (a row of ``handoffs``); its items share the
hand-off's time, acceptance and result, and each keeps its own due time. ``lines`` turns
hand-offs into ledger lines, ``to_csv`` writes them for Excel (UTF-8 with a BOM, Chinese
headers, times in Beijing time); the JSON shape is ``LedgerLine``, times in UTC.
"""

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select

from contracts import DEPARTMENT_NAMES, ITEM_NAMES, Department
from services.common.workdays import SHANGHAI
from services.routing.models import Handoff

MAX_LINES = 100_000  # per export; a longer period is cut there (``truncated``)
MAX_DAYS = 366  # the longest period one export covers
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


class LedgerLine(BaseModel):
    """One item of one hand-off. Times in UTC; ``late``: decided after it was due, or not
    decided and now past due."""

    model_config = ConfigDict(populate_by_name=True)

    application_id: str
    receipt_no: str
    task_id: str
    item: str
    item_name: str
    from_: str = Field(alias="from", description="who handed it over, e.g. window:<staff>")
    to: str = Field(description="the department's code")
    to_name: str
    handed_at: datetime
    due_at: datetime
    accepted_by: str | None
    accepted_at: datetime | None
    result: str | None = Field(description="approved, rejected, or null while undecided")
    result_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    late: bool
    trace_id: str | None


class LedgerExport(BaseModel):
    """The ledger of a period: hand-offs made from ``from`` to ``to`` (whole days in Beijing
    time, both included), oldest first, at most ``limit`` lines (``truncated`` if cut)."""

    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from")
    to: date
    department: Department | None
    timezone: str = "Asia/Shanghai"
    generated_at: datetime
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
        for item in h.items:
            due = datetime.fromisoformat(dues[item]).astimezone(UTC) if item in dues else h.due_at
            late = h.decided_at > due if h.decided_at else now > due
            out.append(LedgerLine(
                application_id=h.application_id, receipt_no=h.receipt_no, task_id=h.task_id,
                item=item, item_name=ITEM_NAMES.get(item, item),  # type: ignore[call-overload]
                from_=h.from_party, to=h.to_department,
                to_name=DEPARTMENT_NAMES.get(h.to_department, h.to_department),  # type: ignore[call-overload]
                handed_at=h.handed_at, due_at=due, accepted_by=h.accepted_by,
                accepted_at=h.accepted_at, result=h.result, result_reason=h.result_reason,
                decided_by=h.decided_by, decided_at=h.decided_at, late=late,
                trace_id=h.trace_id))
    return out


# The CSV's columns: Chinese header, and the line's value as a report shows it.
_RESULTS = {"approved": "批准", "rejected": "不予批准", None: "未办结"}
COLUMNS: list[tuple[str, Any]] = [
    ("申请编号", lambda ln: ln.application_id),
    ("受理编号", lambda ln: ln.receipt_no),
    ("任务编号", lambda ln: ln.task_id),
    ("事项代码", lambda ln: ln.item),
    ("救助事项", lambda ln: ln.item_name),
    ("转出方", lambda ln: ln.from_),
    ("承办部门代码", lambda ln: ln.to),
    ("承办部门", lambda ln: ln.to_name),
    ("分办时间（北京时间）", lambda ln: _local(ln.handed_at)),
    ("办结时限（北京时间）", lambda ln: _local(ln.due_at)),
    ("受理人", lambda ln: ln.accepted_by),
    ("受理时间（北京时间）", lambda ln: _local(ln.accepted_at)),
    ("办理结果", lambda ln: _RESULTS.get(ln.result, ln.result)),
    ("不予批准理由", lambda ln: ln.result_reason),
    ("审批人", lambda ln: ln.decided_by),
    ("办结时间（北京时间）", lambda ln: _local(ln.decided_at)),
    ("是否超期", lambda ln: "是" if ln.late else "否"),
    ("追踪编号", lambda ln: ln.trace_id),
]


def to_csv(ledger: list[LedgerLine]) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for header, _ in COLUMNS])
    for line in ledger:
        writer.writerow([_cell(value(line)) for _, value in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _local(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _cell(value: str | None) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @...) is kept as text."""
    if not value:
        return ""
    return "'" + value if value[0] in "=+-@\t\r" else value
