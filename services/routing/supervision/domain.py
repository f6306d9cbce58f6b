"""Supervision's rules, with no I/O: when each open stage warns and escalates, to whom, and
how far a task's time limit may be extended.

A stage runs from its start to its due time: assign (a joint-meeting case, from its queueing
to the meeting's assign limit), accept (a hand-off, to the accept limit), decide (from 受理 to
the task's due time), paperwork (emergency aid decided before its papers, to their due time).
At ``warn_at`` of that span the first supervisor is warned (level 0). Past the due time the
stage escalates (level 1), and again each time the stage's own limit passes once more
(level n is due at the limit applied n-1 times from the due time: a 20-working-day item
escalates to level 2 twenty working days after its due time). Level n goes to
``policy.supervisor(n, department)``.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from contracts import ITEM_NAMES, Department
from services.common.limits import Limit
from services.common.policy import Policy
from services.common.timefmt import beijing_text
from services.common.workdays import Calendar

StageKind = Literal["assign", "accept", "decide", "paperwork"]
# Levels past this are not raised (a stage this late is the overdue report's business, not
# one more message a day to the same supervisor).
MAX_LEVEL = 10

_ALERT_NAMESPACE = uuid.UUID("6c1d3f0e-0b7a-4c55-9a56-0d00e0d00e10")


@dataclass(frozen=True)
class Stage:
    kind: StageKind
    subject: str  # the task, or the joint-meeting case
    application_id: str
    receipt_no: str
    task_id: str | None
    department: Department | None
    items: tuple[str, ...]
    start: datetime
    due: datetime
    limit: Limit  # applied again from each level's due time to give the next


@dataclass(frozen=True)
class AlertPlan:
    stage: Stage
    level: int  # 0: warning; 1, 2...: escalations
    supervisor: str

    @property
    def alert_id(self) -> str:
        return alert_id(self.stage.kind, self.stage.subject, self.level)


def alert_id(kind: str, subject: str, level: int) -> str:
    """One alert per stage, subject and level: the same id however often it is computed."""
    return uuid.uuid5(_ALERT_NAMESPACE, f"{kind}:{subject}:{level}").hex


def warn_time(stage: Stage, share: float) -> datetime:
    """When ``share`` of the stage's span (start to due) has passed."""
    return stage.start + (stage.due - stage.start) * share


def level_due(stage: Stage, level: int, calendar: Calendar) -> datetime:
    """When escalation ``level`` (1, 2...) is due: the due time, then the limit once more
    from each level's due time."""
    due = stage.due
    for _ in range(level - 1):
        due = stage.limit.due_at(due, calendar)
    return due


def level_reached(stage: Stage, now: datetime, calendar: Calendar) -> int:
    """The highest escalation level whose due time is past (0: not due yet)."""
    level, due = 0, stage.due
    while now > due and level < MAX_LEVEL:
        level += 1
        due = stage.limit.due_at(due, calendar)
    return level


def alerts_due(stage: Stage, now: datetime, policy: Policy, raised: set[int]) -> list[AlertPlan]:
    """The alerts of ``stage`` due by ``now`` and not raised yet. A stage first seen past its
    due time is escalated without a warning first (the warning's moment has gone)."""
    reached = level_reached(stage, now, policy.calendar)
    plans = []
    if (reached == 0 and 0 not in raised
            and now >= warn_time(stage, policy.supervision.warn_at)):
        plans.append(AlertPlan(stage, 0, policy.supervisor(1, stage.department)))
    plans += [AlertPlan(stage, n, policy.supervisor(n, stage.department))
              for n in range(1, reached + 1) if n not in raised]
    return plans


class ExtensionRefused(ValueError):
    """An extension the policy does not allow, in English and Chinese."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.reason, self.reason_zh = reason, reason_zh


def check_extension(items: list[str], original_due: datetime, new_due: datetime,
                    policy: Policy) -> None:
    """All of a task's extensions together may move its due time at most by the policy's
    ``extension`` of each item, counted from the due time before any extension (the
    strictest item decides). An item the policy gives no extension cannot be extended."""
    for item in items:
        found = policy.items.get(item)  # type: ignore[call-overload]
        name = ITEM_NAMES.get(item, item)  # type: ignore[call-overload]
        extension = found.extension if found else None
        if extension is None:
            raise ExtensionRefused(f"{item}: the policy allows no extension",
                                   f"{name}：本地政策不允许延期")
        ceiling = extension.due_at(original_due, policy.calendar)
        if new_due > ceiling:
            raise ExtensionRefused(
                f"{item}: extensions may total at most {extension.amount} "
                f"{extension.unit.replace('_', ' ')} (until {beijing_text(ceiling)} Beijing time)",
                f"{name}：延期累计不得超过{extension.describe()}（至北京时间 {beijing_text(ceiling)}）")
