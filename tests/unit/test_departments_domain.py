"""Departments: accepting and deciding a task, and the demo's income rule."""

import random
from decimal import Decimal

import pytest

from contracts import Outcome
from services.departments.domain import (
    Decision,
    TaskRuleError,
    TaskStatus,
    can_accept,
    can_decide,
    demo_decision,
)

STAFF = [f"staff-{n:02d}" for n in range(1, 10)]
LINES = {"urban": Decimal(800), "rural": Decimal(650)}


def two_people(rng: random.Random) -> tuple[str, str]:
    first, second = rng.sample(STAFF, 2)
    return first, second


def approval(rng: random.Random, by: str | None = None) -> Decision:
    amount = Decimal(rng.randint(0, 500000)).scaleb(-2)
    return Decision(Outcome.approved, "", amount, by or rng.choice(STAFF))


def rejection(rng: random.Random, by: str | None = None) -> Decision:
    reason = rng.choice(["收入高于标准", "材料不全，未补正", "不符合本地户籍条件"])
    return Decision(Outcome.rejected, reason, None, by or rng.choice(STAFF))


def any_decision(rng: random.Random) -> Decision:
    return rng.choice([approval, rejection])(rng)


@pytest.mark.parametrize("seed", range(10))
def test_accept_first_time_then_retry_by_same_person(seed: int) -> None:
    me, _ = two_people(random.Random(seed))
    assert can_accept(TaskStatus.assigned, None, me) is True
    assert can_accept("assigned", None, me) is True
    assert can_accept(TaskStatus.accepted, me, me) is False


@pytest.mark.parametrize("seed", range(10))
def test_accept_of_a_task_someone_else_accepted_is_refused(seed: int) -> None:
    me, other = two_people(random.Random(seed))
    with pytest.raises(TaskRuleError) as exc:
        can_accept(TaskStatus.accepted, other, me)
    assert exc.value.code == "task_already_accepted"
    assert other in exc.value.message_zh


@pytest.mark.parametrize("seed", range(10))
def test_accept_of_a_decided_task_is_refused(seed: int) -> None:
    me, other = two_people(random.Random(seed))
    for accepted_by in (me, other):
        with pytest.raises(TaskRuleError) as exc:
            can_accept(TaskStatus.decided, accepted_by, me)
        assert exc.value.code == "task_already_decided"
        assert exc.value.message and exc.value.message_zh


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_rejection_without_reason_is_refused_with_field_reason(seed: int, blank: str) -> None:
    rng = random.Random(seed)
    new = Decision(Outcome.rejected, blank, None, rng.choice(STAFF))
    for status in TaskStatus:
        with pytest.raises(TaskRuleError) as exc:
            can_decide(status, None, new)
        assert exc.value.field == "reason"
        assert exc.value.code == "reason_required"
        assert "理由" in exc.value.message_zh


@pytest.mark.parametrize("seed", range(10))
def test_deciding_an_unaccepted_task_is_refused(seed: int) -> None:
    with pytest.raises(TaskRuleError) as exc:
        can_decide(TaskStatus.assigned, None, any_decision(random.Random(seed)))
    assert exc.value.code == "task_not_accepted"


@pytest.mark.parametrize("seed", range(10))
def test_deciding_an_accepted_task_is_a_change(seed: int) -> None:
    assert can_decide(TaskStatus.accepted, None, any_decision(random.Random(seed))) is True


@pytest.mark.parametrize("seed", range(10))
def test_same_decision_again_is_a_retry(seed: int) -> None:
    rng = random.Random(seed)
    made = any_decision(rng)
    again = Decision(made.outcome, made.reason, made.amount, made.decided_by)
    assert can_decide(TaskStatus.decided, made, again) is False


@pytest.mark.parametrize("seed", range(10))
def test_a_different_decision_on_a_decided_task_is_refused(seed: int) -> None:
    rng = random.Random(seed)
    me, other = two_people(rng)
    made = approval(rng, by=me)
    for different in (rejection(rng, by=me), approval(rng, by=other),
                      Decision(made.outcome, made.reason, made.amount + 1, me)):
        with pytest.raises(TaskRuleError) as exc:
            can_decide(TaskStatus.decided, made, different)
        assert exc.value.code == "task_already_decided"


@pytest.mark.parametrize("seed", range(30))
def test_demo_approves_below_the_line_with_the_gap_times_household(seed: int) -> None:
    rng = random.Random(seed)
    residence = rng.choice(["urban", "rural"])
    line = LINES[residence]
    income = Decimal(rng.randint(0, int(line * 100) - 1)).scaleb(-2)
    size = rng.randint(1, 8)
    decision = demo_decision(monthly_income_per_capita=income, household_size=size,
                             residence=residence, income_lines=LINES)
    assert decision.outcome == Outcome.approved
    assert decision.amount == (line - income) * size
    assert decision.amount is not None and decision.amount > 0
    assert decision.amount.as_tuple().exponent == -2


@pytest.mark.parametrize("seed", range(30))
def test_demo_rejects_at_or_above_the_line_with_a_chinese_reason(seed: int) -> None:
    rng = random.Random(seed)
    residence = rng.choice(["urban", "rural"])
    line = LINES[residence]
    income = rng.choice([line, line + Decimal(rng.randint(1, 500000)).scaleb(-2)])
    decision = demo_decision(monthly_income_per_capita=income, household_size=rng.randint(1, 8),
                             residence=residence, income_lines=LINES)
    assert decision.outcome == Outcome.rejected
    assert decision.amount is None
    assert str(income) in decision.reason
    assert str(line) in decision.reason
    assert "收入" in decision.reason
    # the demo's own rejections must pass the rule that a rejection gives its reason
    assert can_decide(TaskStatus.accepted, None, decision) is True


def test_demo_uses_the_line_of_the_residence() -> None:
    income = Decimal(700)
    urban = demo_decision(monthly_income_per_capita=income, household_size=3,
                          residence="urban", income_lines=LINES)
    rural = demo_decision(monthly_income_per_capita=income, household_size=3,
                          residence="rural", income_lines=LINES)
    assert urban.outcome == Outcome.approved
    assert urban.amount == Decimal("300.00")
    assert rural.outcome == Outcome.rejected
