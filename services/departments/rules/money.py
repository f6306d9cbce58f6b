"""An approval of an item that grants money (the region's policy says which: ``pays_money``)
gives the amount; the ledger and the notice carry it."""

from contracts import ITEM_NAMES, Item, Outcome
from services.departments.domain import Decision, TaskRuleError


def check_amount(paying: tuple[str, ...], decision: Decision) -> None:
    """Raise unless an approval of ``paying`` items gives an amount above zero."""
    if not paying or decision.outcome != Outcome.approved:
        return
    if decision.amount is None or decision.amount <= 0:
        names = "、".join(ITEM_NAMES[Item(i)] for i in paying)
        raise TaskRuleError(
            "amount_required",
            f"an approval of {', '.join(paying)} grants money: give the amount (above 0)",
            f"批准{names}须写明救助金额（大于0元）", field="amount")
