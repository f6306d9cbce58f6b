"""Routing's rules, with no I/O: where each item goes (its department, a referral, the joint
meeting), by when, and where the items of a returned task go next."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contracts import Department, Item
from services.common.policy import Policy

_TASK_NAMESPACE = uuid.UUID("6c1d3f0e-0b7a-4c55-9a56-0d00e0d00e01")
_CASE_NAMESPACE = uuid.UUID("6c1d3f0e-0b7a-4c55-9a56-0d00e0d00e02")
_LINE_NAMESPACE = uuid.UUID("6c1d3f0e-0b7a-4c55-9a56-0d00e0d00e03")

# Why items go before the joint meeting: no clear owner or no policy (003 三(二)2), a task
# returned a second time, or returned with nowhere else to go.
UNCLEAR_OWNER = "实施主体不明确或无相关救助政策"
SECOND_RETURN = "二次退回"
NO_OTHER_DEPARTMENT = "无其他承办部门"


@dataclass(frozen=True)
class TaskPlan:
    task_id: str
    department: Department
    items: tuple[Item, ...]
    items_due_at: dict[Item, datetime]
    transfer_due_at: datetime | None = None  # by when the window should have handed it on
    accept_due_at: datetime | None = None  # by when the department should accept it

    @property
    def due_at(self) -> datetime:
        return min(self.items_due_at.values())


@dataclass(frozen=True)
class RoutingPlan:
    """An application's items by disposition (policy.disposition)."""

    tasks: list[TaskPlan]
    referrals: dict[str, tuple[Item, ...]]  # organisation → its items
    joint_meeting: tuple[Item, ...]
    outside: tuple[Item, ...]  # intake refuses these at the door: here they are only logged


@dataclass(frozen=True)
class ReturnPlan:
    """Where the items of a returned task go: other departments, or the joint meeting."""

    reroutes: dict[Department, tuple[Item, ...]]
    joint_meeting: tuple[Item, ...]
    reason: str  # why the joint meeting gets them ("" when it gets none)


class UnroutableItem(ValueError):
    """An item no department of the region handles."""


def task_id(application_id: str, department: str, cause: str = "") -> str:
    """The same application and department (and cause of a later hand-off: a return, a
    joint-meeting case) always give the same task, so a handler can safely run again."""
    key = f"{application_id}:{department}" + (f":{cause}" if cause else "")
    return uuid.uuid5(_TASK_NAMESPACE, key).hex


def case_id(application_id: str, cause: str) -> str:
    """A joint-meeting case, from its cause ("submitted", or the returned task)."""
    return uuid.uuid5(_CASE_NAMESPACE, f"{application_id}:{cause}").hex


def line_key(kind: str, application_id: str, key: str) -> str:
    """The ledger key of a line that is not a task, e.g. ``referral:<hex>``."""
    return f"{kind}:{uuid.uuid5(_LINE_NAMESPACE, f'{application_id}:{key}').hex}"


def plan_task(task: str, department: Department, items: Iterable[Item], *, start: datetime,
              handed_at: datetime, policy: Policy,
              transfer_from: datetime | None = None) -> TaskPlan:
    """A task's due times: each item's limit from ``start`` (受理: the legal clock, never
    restarted); the transfer limit of the items' levels from ``transfer_from`` (when the
    window got them to hand on; ``start`` by default), the earliest; acceptance from the
    hand-off."""
    items = tuple(items)
    since = transfer_from or start
    return TaskPlan(
        task_id=task, department=department, items=items,
        items_due_at={i: policy.due_at(i, start) for i in items},
        transfer_due_at=min(policy.transfer_due_at(i, since) for i in items),
        accept_due_at=policy.accept_due_at(handed_at),
    )


def split(application_id: str, items: list[Item], start: datetime, policy: Policy,
          handed_at: datetime | None = None) -> list[TaskPlan]:
    """One task per department, listing its items in the order asked, with their due times.

    Time limits run from acceptance at the window (``start``), not from the hand-off
    (DOMAIN.md §3)."""
    by_department: dict[Department, list[Item]] = {}
    for item in items:
        department = policy.department_of(item)
        if department is None:
            raise UnroutableItem(f"no department handles {item} in region {policy.region}")
        by_department.setdefault(department, []).append(item)
    return [plan_task(task_id(application_id, d), d, its, start=start,
                      handed_at=handed_at or start, policy=policy)
            for d, its in by_department.items()]


def route(application_id: str, items: list[Item], start: datetime, handed_at: datetime,
          policy: Policy) -> RoutingPlan:
    """Each item by its disposition: tasks for departments, referrals grouped by
    organisation, the rest before the joint meeting; items outside every policy set apart."""
    ours: list[Item] = []
    referrals: dict[str, list[Item]] = {}
    joint: list[Item] = []
    outside: list[Item] = []
    for item in dict.fromkeys(items):  # an item asked twice is one item
        disposition = policy.disposition(item)
        if disposition == "department":
            ours.append(item)
        elif disposition == "referral":
            organisation = policy.items[item].referral_to
            assert organisation  # checked at load
            referrals.setdefault(organisation, []).append(item)
        elif disposition == "joint_meeting":
            joint.append(item)
        else:
            outside.append(item)
    return RoutingPlan(
        tasks=split(application_id, ours, start, policy, handed_at),
        referrals={org: tuple(its) for org, its in referrals.items()},
        joint_meeting=tuple(joint), outside=tuple(outside))


def next_department(item: Item, *, returning: Department, suggested: Department | None,
                    tried: set[Department], policy: Policy) -> Department | None:
    """Where a returned item goes: the department the returning one suggested, if it is one
    of the region's and not tried yet; else the item's first alternate not yet tried."""
    tried = tried | {returning}
    if suggested is not None and suggested in policy.departments and suggested not in tried:
        return suggested
    found = policy.items.get(item)
    alternates = found.alternates if found else []
    return next((d for d in alternates if d not in tried), None)


def plan_return(items: Iterable[Item], *, returning: Department, suggested: Department | None,
                tried: dict[Item, set[Department]], returned_before: set[Item],
                policy: Policy) -> ReturnPlan:
    """A first return re-routes each item (the suggestion, else an alternate); an item
    returned once already, or with no department left to try, goes to the joint meeting."""
    reroutes: dict[Department, list[Item]] = {}
    second: list[Item] = []
    stuck: list[Item] = []
    for item in dict.fromkeys(items):
        if item in returned_before:
            second.append(item)
            continue
        target = next_department(item, returning=returning, suggested=suggested,
                                 tried=tried.get(item, set()), policy=policy)
        if target is None:
            stuck.append(item)
        else:
            reroutes.setdefault(target, []).append(item)
    reason = "；".join(r for r, its in ((SECOND_RETURN, second), (NO_OTHER_DEPARTMENT, stuck))
                      if its)
    return ReturnPlan(reroutes={d: tuple(its) for d, its in reroutes.items()},
                      joint_meeting=tuple(second + stuck), reason=reason)
