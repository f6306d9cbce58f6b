"""A department task's life, with no I/O: accepting, returning, asking for materials, deciding,
and the demo's income rule. The region policy's extra rules live in ``rules/``."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from contracts import Department, Outcome


class TaskStatus(StrEnum):
    assigned = "assigned"
    accepted = "accepted"
    awaiting_materials = "awaiting_materials"  # asked the applicant (via the window) for more
    returned = "returned"  # not this department's: closed here, routing re-routes it
    decided = "decided"


# Still to be handled by this department (listed as open, counted when overdue).
OPEN_STATUSES = (TaskStatus.assigned, TaskStatus.accepted, TaskStatus.awaiting_materials)


class TaskRuleError(Exception):
    """A request the task's state does not allow; carries its English and Chinese message.

    ``field`` (or ``fields``: (field, reason, reason_zh) each) marks an invalid request (422);
    without one, the task's state refuses it (409)."""

    def __init__(self, code: str, message: str, message_zh: str, field: str | None = None,
                 fields: list[tuple[str, str, str]] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.message_zh, self.field = code, message, message_zh, field
        self.fields = fields or ([(field, message, message_zh)] if field else [])


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    amount: Decimal | None
    decided_by: str
    # Emergency aid given before its paperwork (小额先行, 002 §四).
    paperwork_pending: bool = False


@dataclass(frozen=True)
class Return:
    by: str
    reason: str
    suggested_department: Department | None = None


@dataclass(frozen=True)
class MaterialsRequest:
    by: str
    materials: tuple[str, ...]
    note: str = ""


def refuse_if_closed(status: str) -> None:
    """Raise if the task is closed for this department (returned or decided)."""
    if status == TaskStatus.returned:
        raise TaskRuleError("task_returned", "the task was returned as not this department's",
                            "该任务已退回，不属于本部门办理")
    if status == TaskStatus.decided:
        raise TaskRuleError("task_already_decided", "the task is already decided", "该任务已办结")


def can_accept(status: str, accepted_by: str | None, by: str) -> bool:
    """True if accepting is a change; False if this person already accepted it (a retry)."""
    refuse_if_closed(status)
    if accepted_by is None:
        return True
    if accepted_by == by:
        return False
    raise TaskRuleError("task_already_accepted", f"already accepted by {accepted_by}",
                        f"该任务已由 {accepted_by} 受理")


def can_decide(status: str, current: Decision | None, new: Decision) -> bool:
    """True if deciding is a change; False if the same decision was already made (a retry)."""
    if new.outcome == Outcome.rejected and not new.reason.strip():
        raise TaskRuleError("reason_required", "a rejection must give its reason in writing",
                            "不予批准必须书面说明理由", field="reason")
    if status == TaskStatus.assigned:
        raise TaskRuleError("task_not_accepted", "accept the task before deciding it",
                            "请先受理该任务，再作出决定")
    if status == TaskStatus.decided:
        if current == new:
            return False
        raise TaskRuleError("task_already_decided", "the task is already decided differently",
                            "该任务已办结，结果不同，不能重复决定")
    refuse_if_closed(status)
    return True


def decision_status(status: str, accepted_by: str | None) -> str:
    """The status deciding goes by: a task awaiting materials may still be decided (a refusal
    for materials never brought) once it was accepted."""
    if status == TaskStatus.awaiting_materials:
        return TaskStatus.accepted if accepted_by else TaskStatus.assigned
    return status


def can_return(status: str, current: Return | None, new: Return, own: Department) -> bool:
    """True if returning is a change; False if the same return was already made (a retry).
    Only before a decision, in writing, and not towards the department itself."""
    if not new.reason.strip():
        raise TaskRuleError("reason_required", "say in writing why the task is not this "
                            "department's", "退回必须书面说明理由", field="reason")
    if new.suggested_department == own:
        raise TaskRuleError("suggested_own_department", "suggest another department than this one",
                            "建议的承办部门不能是本部门", field="suggested_department")
    if status == TaskStatus.returned:
        if current == new:
            return False
        raise TaskRuleError("task_returned", "the task was already returned differently",
                            "该任务已退回，不能以不同理由再次退回")
    refuse_if_closed(status)
    return True


def can_request_materials(status: str, pending: MaterialsRequest | None,
                          new: MaterialsRequest) -> bool:
    """True if asking is a change; False if this very request is the one pending (a retry).
    One request at a time, everything in it (一次性告知, 001): a second while one is
    pending is refused."""
    if status == TaskStatus.awaiting_materials:
        if pending == new:
            return False
        raise TaskRuleError("materials_already_requested",
                            "materials were already asked for; ask for everything at once and "
                            "wait until they are supplemented",
                            "已一次性告知需补充的材料，请待补齐后再处理")
    refuse_if_closed(status)
    return True


def resume_status(accepted_by: str | None) -> TaskStatus:
    """Where a task goes back to once the materials it waited for arrive."""
    return TaskStatus.accepted if accepted_by else TaskStatus.assigned


def demo_decision(*, monthly_income_per_capita: Decimal, household_size: int, residence: str,
                  income_lines: dict[str, Decimal]) -> Decision:
    """The demo's stand-in for a caseworker: below the region's income line is approved."""
    line = income_lines[residence]
    if monthly_income_per_capita < line:
        gap = (line - monthly_income_per_capita) * household_size
        return Decision(Outcome.approved, "", gap.quantize(Decimal("0.01")), "demo-auto")
    return Decision(
        Outcome.rejected,
        f"家庭月人均收入 {monthly_income_per_capita} 元，高于当地标准 {line} 元",
        None,
        "demo-auto",
    )
