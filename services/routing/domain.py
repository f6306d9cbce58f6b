"""Routing's rules, with no I/O: which department gets which items, and by when."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from contracts import Department, Item
from services.common.policy import Policy

_TASK_NAMESPACE = uuid.UUID("6c1d3f0e-0b7a-4c55-9a56-0d00e0d00e01")


@dataclass(frozen=True)
class TaskPlan:
    task_id: str
    department: Department
    items: tuple[Item, ...]
    items_due_at: dict[Item, datetime]

    @property
    def due_at(self) -> datetime:
        return min(self.items_due_at.values())


class UnroutableItem(ValueError):
    """An item no department of the region handles."""


def task_id(application_id: str, department: str) -> str:
    """The same application and department always give the same task (safe to re-run)."""
    return uuid.uuid5(_TASK_NAMESPACE, f"{application_id}:{department}").hex


def split(application_id: str, items: list[Item], received_at: datetime,
          policy: Policy) -> list[TaskPlan]:
    """One task per department, listing its items in the order asked, with their due times.

    Time limits run from the receipt at the window, not from the hand-off (DOMAIN.md §3).
    """
    by_department: dict[Department, list[Item]] = {}
    for item in items:
        department = policy.department_of(item)
        if department is None:
            raise UnroutableItem(f"no department handles {item} in region {policy.region}")
        by_department.setdefault(department, []).append(item)
    return [
        TaskPlan(
            task_id=task_id(application_id, department),
            department=department,
            items=tuple(dept_items),
            items_due_at={i: policy.items[i].due_at(received_at) for i in dept_items},
        )
        for department, dept_items in by_department.items()
    ]
