"""Substitution (同岗替代, 001): who holds each task, the holders' absences, and handing a
post's open tasks to the other holder while one is away."""

from dataclasses import dataclass
from datetime import datetime

from opentelemetry import trace
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Department
from services.common.policy import Policy, Post
from services.common.tracing import span_context_of
from services.common.uow import Transaction
from services.departments import tasks
from services.departments.domain import OPEN_STATUSES, TaskRuleError
from services.departments.models import Absence, Task
from services.departments.rules.substitution import holder_for, is_holder, other_holder


class PostNotFound(LookupError):
    pass


@dataclass(frozen=True)
class PostState:
    code: str
    post: Post
    away: list[Absence]
    current: str  # whom new tasks go to now


def posts_of(policy: Policy, department: Department) -> dict[str, Post]:
    return {code: p for code, p in policy.posts.items() if p.department == department}


def post_of(policy: Policy, department: Department, code: str) -> Post:
    found = posts_of(policy, department).get(code)
    if found is None:
        raise PostNotFound(code)
    return found


async def assignee_for(session: AsyncSession, department: Department, policy: Policy,
                       items: list[str], now: datetime) -> tuple[str | None, str | None]:
    """The post covering a task's items (the first item with one decides) and its holder
    now; (None, None) for items of no post."""
    own = posts_of(policy, department)
    code = next((c for i in items for c, p in own.items() if i in p.items), None)
    if code is None:
        return None, None
    away = {a.holder for a in await _absences(session, code, now)}
    return code, holder_for(own[code], away)


async def post_states(session: AsyncSession, department: Department, policy: Policy,
                      now: datetime) -> list[PostState]:
    """This department's posts, who is away from each, and who takes new tasks."""
    out = []
    for code, post in posts_of(policy, department).items():
        away = await _absences(session, code, now)
        out.append(PostState(code, post, away, holder_for(post, {a.holder for a in away})))
    return out


async def mark_away(tx: Transaction, department: Department, policy: Policy, code: str, *,
                    holder: str, approved_by: str, reason: str, until: datetime | None) -> None:
    """Record ``holder`` away (approved by the leader in charge) and hand their open tasks of
    the post to the other holder, each reassignment in the task's history. Publishes
    nothing. Saying so again while away changes nothing."""
    post = post_of(policy, department, code)
    now = tx.clock.now()
    _check_holder(post, holder)
    if approved_by == holder:
        raise TaskRuleError("self_approval", "an absence is approved by the leader in charge, "
                            "not by the holder", "离岗须经分管领导批准，不能由本人批准",
                            field="approved_by")
    if until is not None and until <= now:
        raise TaskRuleError("until_in_past", "the planned return must be in the future",
                            "预计返岗时间须晚于当前时间", field="until")
    away = {a.holder for a in await _absences(tx.session, code, now)}
    if holder in away:
        return
    tx.session.add(Absence(post=code, holder=holder, approved_by=approved_by, reason=reason,
                           since=now, until=until))
    other = other_holder(post, holder)
    if other in away:  # nobody to take them over: they wait, and supervision sees them
        return
    held = await tx.session.scalars(
        select(Task).where(Task.post == code, Task.assignee == holder,
                           Task.status.in_(OPEN_STATUSES)).with_for_update())
    request = tx.causing_span or trace.get_current_span()
    for task in held:
        task.assignee = other
        tasks.record(tx, task.id, "reassigned", approved_by, from_holder=holder,
                     to_holder=other, reason=reason)
        # One request moves the tasks of several applications: each gets a span in its trace.
        tasks.task_span(tx, task, "task reassign", request, department)
        if request.is_recording() and (context := span_context_of(task.trace_parent)).is_valid:
            request.add_link(context)


async def mark_back(tx: Transaction, department: Department, policy: Policy, code: str, *,
                    holder: str) -> None:
    """End ``holder``'s absence: new tasks go to them again; the ones handed over stay with
    the other holder (a case changes hands once, not back and forth). Publishes nothing."""
    post = post_of(policy, department, code)
    _check_holder(post, holder)
    now = tx.clock.now()
    for absence in await _absences(tx.session, code, now):
        if absence.holder == holder:
            absence.ended_at = now


def _check_holder(post: Post, holder: str) -> None:
    if not is_holder(post, holder):
        raise TaskRuleError("not_a_holder", f"{holder} holds neither A nor B of this post",
                            f"{holder} 不是该岗位的 A 岗或 B 岗人员", field="holder")


async def _absences(session: AsyncSession, code: str, now: datetime) -> list[Absence]:
    """Absences in force: not ended, and not past their planned return."""
    rows = await session.scalars(
        select(Absence).where(Absence.post == code, Absence.ended_at.is_(None),
                              or_(Absence.until.is_(None), Absence.until > now))
        .order_by(Absence.since, Absence.id))
    return list(rows)
