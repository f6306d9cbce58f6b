"""Demo only: stand-ins for a department's staff, so that every task closes by itself. They
act as the department's demo accounts (``services/accounts/demo.py``; the department's
service creates them when it starts deciding by itself)."""

import dataclasses
from decimal import Decimal

from sqlalchemy import select

from contracts import Department
from services.accounts.demo import deciders
from services.common.policy import Policy
from services.common.uow import Transaction
from services.departments import domain, handlers
from services.departments.domain import TaskStatus
from services.departments.models import Task
from services.departments.rules import rules_for


async def auto_decide_due(tx: Transaction, department: Department, *, policy: Policy,
                          older_than_seconds: float, limit: int = 200) -> int:
    """Accept and decide the tasks assigned long enough ago; returns how many. Publishes
    what staff would (TaskAccepted, TaskDecided...). Tasks awaiting materials wait for them
    (they come back as assigned once supplemented); tasks someone accepted are left to them."""
    cutoff = tx.clock.now().timestamp() - older_than_seconds
    due = [
        t for t in await tx.session.scalars(
            # Claimed (PostgreSQL): copies of the department decide different tasks.
            select(Task).where(Task.status == TaskStatus.assigned)
            .order_by(Task.assigned_at).limit(limit).with_for_update(skip_locked=True))
        if t.assigned_at.timestamp() <= cutoff
    ]
    # Separation of duties: three different accounts (002 §一), as staff would be.
    acceptor, reviewer, confirmer = deciders(str(department))
    for task in due:
        tx.memo[(Task, task.id)] = task  # locked above: accept, review and decide read it as is
        rules = rules_for(policy, task.items)
        decision = domain.demo_decision(
            monthly_income_per_capita=Decimal(str(task.household["monthly_income_per_capita"])),
            household_size=task.household["size"], residence=task.household["residence"],
            income_lines=dict(policy.demo_income_lines))
        if not rules.paying:  # an approval of help that is not money names no sum
            decision = dataclasses.replace(decision, amount=None)
        elif rules.cap_yuan is not None and decision.amount:
            # Within the cap (emergency aid: paperwork done with it, nothing to follow up).
            decision = dataclasses.replace(decision, amount=min(decision.amount, rules.cap_yuan))
        if rules.separation_of_duties:
            await handlers.accept_task(tx, department, task.id, acceptor)
            await handlers.review_task(tx, task.id, reviewer, "演示：材料齐全，情况属实，同意上报",
                                       policy=policy)
            decision = dataclasses.replace(decision, decided_by=confirmer)
        else:
            await handlers.accept_task(tx, department, task.id, acceptor)
            decision = dataclasses.replace(decision, decided_by=acceptor)
        await handlers.decide_task(tx, department, task.id, decision, policy=policy)
    return len(due)
