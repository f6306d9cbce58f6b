"""A department task's rules, with no I/O: accepting, deciding, and the demo income rule."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from contracts import Outcome


class TaskStatus(StrEnum):
    assigned = "assigned"
    accepted = "accepted"
    decided = "decided"


class TaskRuleError(Exception):
    """A request the task's state does not allow; carries its English and Chinese message."""

    def __init__(self, code: str, message: str, message_zh: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.message_zh, self.field = code, message, message_zh, field


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    amount: Decimal | None
    decided_by: str


def can_accept(status: str, accepted_by: str | None, by: str) -> bool:
    """True if accepting is a change; False if this person already accepted it (a retry)."""
    if status == TaskStatus.assigned:
        return True
    if status == TaskStatus.accepted and accepted_by == by:
        return False
    if status == TaskStatus.accepted:
        raise TaskRuleError("task_already_accepted", f"already accepted by {accepted_by}",
                            f"该任务已由 {accepted_by} 受理")
    raise TaskRuleError("task_already_decided", "the task is already decided", "该任务已办结")


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
    return True


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
