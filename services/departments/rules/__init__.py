"""What the region policy asks of a department's tasks, with no I/O: separation of duties,
emergency aid, amounts of money, materials, substitution (同岗替代) and 免申即享."""

from dataclasses import dataclass
from decimal import Decimal

from contracts import Item
from services.common.amounts import task_cap
from services.common.policy import EmergencyRule, Policy


@dataclass(frozen=True)
class TaskRules:
    """The policy flags of one task, from its items."""

    separation_of_duties: bool = False  # accept, review, confirm: three people (002 §一)
    emergency: EmergencyRule | None = None  # small amount first, paperwork after (002 §四)
    paying: tuple[str, ...] = ()  # its items whose approval grants money: amount required
    cap_yuan: Decimal | None = None  # the most one approval may grant (its items' lowest cap)

    @property
    def emergency_cap_yuan(self) -> Decimal | None:
        return self.emergency.cap_yuan if self.emergency else None


def rules_for(policy: Policy, items: list[str]) -> TaskRules:
    """A task's rules: any of its items asking for separation of duties makes the whole task
    need it; the first emergency item's rule caps the task (one decision covers them all)."""
    found = [policy.items[Item(i)] for i in items if i in policy.items]
    return TaskRules(
        separation_of_duties=any(p.separation_of_duties for p in found),
        emergency=next((p.emergency for p in found if p.emergency), None),
        paying=tuple(i for i in items if i in policy.items and policy.items[Item(i)].pays_money),
        cap_yuan=task_cap(policy, items),
    )
