"""The open stages supervision watches, read from the ledger and the joint-meeting cases."""

from datetime import datetime

from sqlalchemy import Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Department
from services.common.limits import Limit
from services.common.policy import Policy
from services.routing.jointmeeting.domain import OPEN
from services.routing.models import PAPERWORK_OPEN, TASK, UNDECIDED, Handoff, JointMeetingCase
from services.routing.supervision.domain import Stage

# An item the policy no longer knows: "other matters with no stated limit", 15 working days
# (001 第八条); emergency aid's paperwork: within a week (002 §四).
FALLBACK_LIMIT = Limit(working_days=15)
FALLBACK_PAPERWORK = Limit(days=7)


async def open_stages(session: AsyncSession, policy: Policy) -> list[Stage]:
    """Every stage not closed yet: hand-offs not accepted, not decided, or with paperwork
    outstanding (returned ones are closed), and joint-meeting cases not resolved."""
    handoffs = [h for query in open_handoff_queries() for h in await session.scalars(query)]
    stages = [s for h in sorted(handoffs, key=lambda h: h.id) for s in handoff_stages(h, policy)]
    cases = await session.scalars(select(JointMeetingCase).where(JointMeetingCase.status == OPEN)
                                  .order_by(JointMeetingCase.queued_at))
    stages += [case_stage(c, policy) for c in cases]
    return stages


def open_handoff_queries() -> list[Select[tuple[Handoff]]]:
    """The open hand-offs in two reads, each served by its partial index (an OR of the two
    would scan every hand-off ever made): undecided ones, and decided ones whose paperwork
    is outstanding."""
    still_open = (Handoff.kind == TASK, Handoff.returned_at.is_(None))
    return [select(Handoff).where(*still_open, text(UNDECIDED)),
            select(Handoff).where(*still_open, text(PAPERWORK_OPEN),
                                  Handoff.decided_at.is_not(None))]


def handoff_stages(h: Handoff, policy: Policy) -> list[Stage]:
    """A hand-off's open stages: accept and decide until decided, then paperwork."""
    department = Department(h.to_department) if h.to_department in Department.__members__ else None
    common = {"subject": h.task_id, "application_id": h.application_id,
              "receipt_no": h.receipt_no, "task_id": h.task_id, "department": department,
              "items": tuple(h.items)}
    stages = []
    if h.decided_at is None:
        if h.accepted_at is None:
            stages.append(Stage(kind="accept", start=h.handed_at,
                                due=h.accept_due_at or policy.accept_due_at(h.handed_at),
                                limit=policy.supervision.accept, **common))
        stages.append(Stage(kind="decide", start=h.limits_from or h.handed_at, due=h.due_at,
                            limit=_decide_limit(h, policy), **common))
    elif h.paperwork_due_at is not None and h.paperwork_completed_at is None:
        stages.append(Stage(kind="paperwork", start=h.decided_at, due=h.paperwork_due_at,
                            limit=_paperwork_limit(h, policy), **common))
    return stages


def case_stage(case: JointMeetingCase, policy: Policy) -> Stage:
    return Stage(kind="assign", subject=case.case_id, application_id=case.application_id,
                 receipt_no=case.receipt_no, task_id=None, department=None,
                 items=tuple(case.items), start=case.queued_at, due=case.assign_due_at,
                 limit=policy.joint_meeting.assign)


def _decide_limit(h: Handoff, policy: Policy) -> Limit:
    """The limit of the item that makes the task due (the earliest of its items)."""
    dues = h.items_due_at or {}
    known = [i for i in h.items if i in policy.items]
    if not known:
        return FALLBACK_LIMIT
    first = min(known, key=lambda i: datetime.fromisoformat(dues[i]) if i in dues else h.due_at)
    return policy.limit_of(first)


def _paperwork_limit(h: Handoff, policy: Policy) -> Limit:
    for item in h.items:
        found = policy.items.get(item)
        if found is not None and found.emergency is not None:
            return found.emergency.paperwork
    return FALLBACK_PAPERWORK
