"""The transfer ledger as a CSV file for Excel: UTF-8 with a BOM, Chinese headers, one row
per ledger line, times in Beijing time. Each column holds only what its header says."""

import csv
import io
from datetime import datetime
from typing import Any

from services.common.workdays import SHANGHAI
from services.routing.ledger import LedgerLine

_KINDS = {"task": "分办", "referral": "转介", "joint_meeting": "提交联席会议"}
_RESULTS = {"approved": "批准", "rejected": "不予批准", "referred": "已转介",
            "assigned": "联席会议已指派", None: "未办结"}


def _result(line: LedgerLine) -> str | None:
    if line.result is None and line.returned_at is not None:
        return "已退回"
    return _RESULTS.get(line.result, line.result)


# The columns: Chinese header, and the line's value as a report shows it.
COLUMNS: list[tuple[str, Any]] = [
    ("申请编号", lambda ln: ln.application_id),
    ("受理编号", lambda ln: ln.receipt_no),
    ("任务编号", lambda ln: ln.task_id),
    ("类型", lambda ln: _KINDS.get(ln.kind, ln.kind)),
    ("事项代码", lambda ln: ln.item),
    ("救助事项", lambda ln: ln.item_name),
    ("转出方", lambda ln: ln.from_),
    ("承办部门代码", lambda ln: ln.to),
    ("承办部门", lambda ln: ln.to_name),
    ("分办时间（北京时间）", lambda ln: _local(ln.handed_at)),
    ("转办时限（北京时间）", lambda ln: _local(ln.transfer_due_at)),
    ("受理时限（北京时间）", lambda ln: _local(ln.accept_due_at)),
    ("办结时限（北京时间）", lambda ln: _local(ln.due_at)),
    ("受理人", lambda ln: ln.accepted_by),
    ("受理时间（北京时间）", lambda ln: _local(ln.accepted_at)),
    ("办理结果", _result),
    ("救助金额（元）", lambda ln: None if ln.amount is None else str(ln.amount)),
    ("不予批准理由", lambda ln: ln.refusal_reason),
    ("办理说明", lambda ln: ln.result_note),
    ("审批人", lambda ln: ln.decided_by),
    ("办结时间（北京时间）", lambda ln: _local(ln.decided_at)),
    ("退回人", lambda ln: ln.returned_by),
    ("退回时间（北京时间）", lambda ln: _local(ln.returned_at)),
    ("退回理由", lambda ln: ln.returned_reason),
    ("改派至", lambda ln: ln.rerouted_to),
    ("分办说明", lambda ln: ln.routing_note),
    ("联席会议事项编号", lambda ln: ln.case_id),
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
