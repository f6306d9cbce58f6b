"""Emergency aid (急难型临时救助, 002 §四): a small amount at once, within the cap, the
paperwork after, by its own deadline."""

from datetime import datetime
from decimal import Decimal

from contracts import Outcome
from services.common.policy import EmergencyRule
from services.common.workdays import Calendar
from services.departments.domain import Decision, TaskRuleError


def check_emergency(rule: EmergencyRule | None, decision: Decision) -> None:
    """Raise unless ``decision`` fits the task's emergency rule (None: not emergency aid)."""
    if rule is None:
        if decision.paperwork_pending:
            raise TaskRuleError(
                "paperwork_pending_not_allowed",
                "only emergency aid may be decided before its paperwork",
                "仅急难型临时救助可先行救助、后补手续", field="paperwork_pending")
        return
    if decision.outcome == Outcome.rejected:
        if decision.paperwork_pending:
            raise TaskRuleError(
                "paperwork_pending_not_allowed",
                "only aid given (an approval) can have its paperwork follow",
                "仅先行给予救助（批准）时可后补手续", field="paperwork_pending")
        return
    if decision.amount is None or decision.amount <= 0:
        raise TaskRuleError("amount_required", "an approval of emergency aid gives its amount",
                            "批准急难型临时救助须写明救助金额", field="amount")
    if decision.amount > rule.cap_yuan:
        cap = _yuan(rule.cap_yuan)
        raise TaskRuleError(
            "emergency_cap_exceeded",
            f"above the {cap} yuan cap of emergency aid: use the temporary-aid procedure",
            f"超过小额先行救助上限 {cap} 元，请按临时救助程序办理", field="amount")


def paperwork_due_at(rule: EmergencyRule, decided_at: datetime, calendar: Calendar) -> datetime:
    """When the paperwork of aid given at ``decided_at`` is due (a week, 002 §四)."""
    return rule.paperwork.due_at(decided_at, calendar)


def can_complete_paperwork(*, due_at: datetime | None, completed_by: str | None, by: str) -> bool:
    """True if completing is a change; False if this person already completed it (a retry)."""
    if due_at is None:
        raise TaskRuleError("no_paperwork_pending", "this task has no paperwork pending",
                            "该任务没有待补的手续")
    if completed_by is None:
        return True
    if completed_by == by:
        return False
    raise TaskRuleError("paperwork_already_completed", f"already completed by {completed_by}",
                        f"手续已由 {completed_by} 补齐")


def _yuan(amount: Decimal) -> str:
    return f"{amount.normalize():f}"
