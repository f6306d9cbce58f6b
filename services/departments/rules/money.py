"""An approval of an item that grants money (the region's policy says which: ``pays_money``)
gives the amount, no more than the items' cap (``max_amount_yuan``); the ledger and the notice
carry it."""

from decimal import Decimal

from contracts import ITEM_NAMES, Item, Outcome
from services.departments.domain import Decision, TaskRuleError


def check_amount(paying: tuple[str, ...], decision: Decision, cap: Decimal | None = None) -> None:
    """Raise unless an approval of ``paying`` items gives an amount above zero, and any
    approval's amount is within ``cap``."""
    if decision.outcome != Outcome.approved:
        return
    if cap is not None and decision.amount is not None and decision.amount > cap:
        raise TaskRuleError(
            "amount_above_cap", f"above the {cap} yuan cap of these items in this region",
            f"救助金额超过本地区该事项的上限（{cap}元）", field="amount")
    if not paying:
        return
    if decision.amount is None or decision.amount <= 0:
        names = "、".join(ITEM_NAMES[Item(i)] for i in paying)
        raise TaskRuleError(
            "amount_required",
            f"an approval of {', '.join(paying)} grants money: give the amount (above 0)",
            f"批准{names}须写明救助金额（大于0元）", field="amount")
