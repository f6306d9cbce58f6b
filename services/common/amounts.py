"""How much a decision may grant, by the region's policy: an approval of an item that pays
money names its amount, no more than the item's cap; a refusal names none.

The department checks a decision it makes (a 422 for its officer); every consumer of decisions
checks again what it receives, so that a decision that breaks the rules changes nothing there.
"""

from decimal import Decimal

from contracts import Item
from services.common.policy import ItemPolicy, Policy


def cap_of(item: ItemPolicy) -> Decimal | None:
    """The most one approval of ``item`` may grant (None: no cap)."""
    caps = [c for c in (item.max_amount_yuan, item.emergency.cap_yuan if item.emergency else None)
            if c is not None]
    return min(caps) if caps else None


def task_cap(policy: Policy, items: list[str]) -> Decimal | None:
    """The cap of a decision covering ``items``: the lowest of theirs (None: no cap)."""
    caps = [c for c in (cap_of(policy.items[Item(i)]) for i in items if i in policy.items)
            if c is not None]
    return min(caps) if caps else None


def amount_problem(policy: Policy, items: list[str], outcome: str, amount: Decimal | None,
                   *, automatic: bool = False) -> str | None:
    """What is wrong with a decision's amount, in a line for the ops team; None if nothing.
    A grant without an application (免申即享) is the department's own record: it names no sum."""
    if outcome != "approved":
        return "a refusal grants no amount" if amount else None
    paying = [i for i in items if i in policy.items and policy.items[Item(i)].pays_money]
    if paying and not automatic and (amount is None or amount <= 0):
        return f"an approval of {', '.join(paying)} grants money, but names no amount"
    cap = task_cap(policy, items)
    if amount is not None and cap is not None and amount > cap:
        return f"an amount of {amount} yuan is above the {cap} yuan cap of {', '.join(items)}"
    return None
