"""免申即享 (002 §六): a household confirmed 低保, 低边 or 特困 gets its students' aid from the
next month, without applying."""

import uuid
from datetime import date, datetime

from contracts import HouseholdMember
from services.common.masking import mask_name
from services.common.policy import AutomaticGrant, Policy
from services.common.workdays import SHANGHAI

_AUTOMATIC_NAMESPACE = uuid.UUID("5d0f3f7e-6a43-4f55-9f0e-2a6b1d3c8e21")
AUTOMATIC_DECIDER = "免申即享"


def confirmed_items(policy: Policy, items: list[str]) -> list[str]:
    """The items of an approved task that confirm a household's status for some grant."""
    wanted = {i for g in policy.automatic_grants for i in g.when_approved}
    return [i for i in items if i in wanted]


def grants_of(policy: Policy, department: str, confirmed: list[str]) -> list[AutomaticGrant]:
    """The grants ``department`` gives for a household confirmed for ``confirmed`` items."""
    return [g for g in policy.automatic_grants
            if g.department == department and set(g.when_approved) & set(confirmed)]


def next_month_start(moment: datetime) -> date:
    """The first day of the month after ``moment``'s day in Shanghai."""
    day = moment.astimezone(SHANGHAI).date()
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def automatic_task_id(application_id: str, department: str, grant: str) -> str:
    """The same confirmation always gives the same task (so it is created once)."""
    return uuid.uuid5(_AUTOMATIC_NAMESPACE, f"{application_id}:{department}:automatic:{grant}").hex


def students(members: list[HouseholdMember]) -> list[HouseholdMember]:
    return [m for m in members if m.student]


def grant_reason(grant: AutomaticGrant, beneficiaries: list[HouseholdMember], start: date) -> str:
    """The written reason of an automatic grant: its basis, who, and from when. The reason
    travels with the decision to routing's ledger and the window: students' names masked."""
    names = "、".join(mask_name(m.name) for m in beneficiaries)
    return f"{grant.basis}。受益学生：{names}；自{start.year}年{start.month}月起享受。"
