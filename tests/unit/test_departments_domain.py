"""Departments: a task's rules (accepting, returning, materials, deciding), the region
policy's (separation of duties, emergency aid, substitution, 免申即享), and the demo's rule."""

import itertools
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from contracts import Department, HouseholdMember, Item, Outcome
from services.common.policy import load_policy
from services.common.workdays import SHANGHAI
from services.departments.domain import (
    OPEN_STATUSES,
    Decision,
    MaterialsRequest,
    Return,
    TaskRuleError,
    TaskStatus,
    can_accept,
    can_decide,
    can_request_materials,
    can_return,
    decision_status,
    demo_decision,
    resume_status,
)
from services.departments.rules import TaskRules, rules_for
from services.departments.rules.duties import can_review, check_duties
from services.departments.rules.emergency import (
    can_complete_paperwork,
    check_emergency,
    paperwork_due_at,
)
from services.departments.rules.grants import (
    automatic_task_id,
    confirmed_items,
    grant_reason,
    grants_of,
    next_month_start,
    students,
)
from services.departments.rules.materials import material_needs
from services.departments.rules.substitution import holder_for, other_holder

POLICY = load_policy("default")

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


# -- The task's other moves: awaiting materials, returned ------------------------------------


def test_a_task_awaiting_materials_can_still_be_accepted_once() -> None:
    assert can_accept(TaskStatus.awaiting_materials, None, "a") is True
    assert can_accept(TaskStatus.awaiting_materials, "a", "a") is False
    with pytest.raises(TaskRuleError) as exc:
        can_accept(TaskStatus.awaiting_materials, "a", "b")
    assert exc.value.code == "task_already_accepted"


@pytest.mark.parametrize("by", ["a", "b"])
def test_a_returned_task_cannot_be_accepted_nor_decided(by: str) -> None:
    with pytest.raises(TaskRuleError) as exc:
        can_accept(TaskStatus.returned, None, by)
    assert exc.value.code == "task_returned" and "退回" in exc.value.message_zh
    with pytest.raises(TaskRuleError) as exc:
        can_decide(TaskStatus.returned, None, Decision(Outcome.approved, "", Decimal(1), by))
    assert exc.value.code == "task_returned"


def test_deciding_a_task_awaiting_materials_goes_by_whether_it_was_accepted() -> None:
    assert decision_status(TaskStatus.awaiting_materials, None) == TaskStatus.assigned
    assert decision_status(TaskStatus.awaiting_materials, "a") == TaskStatus.accepted
    assert decision_status(TaskStatus.accepted, "a") == TaskStatus.accepted
    assert resume_status(None) == TaskStatus.assigned
    assert resume_status("a") == TaskStatus.accepted


def test_return_rules() -> None:
    me = Return("civil-01", "属于住房救助，应由住建部门办理", Department.housing)
    for status in OPEN_STATUSES:
        assert can_return(status, None, me, Department.civil_affairs) is True
    assert can_return(TaskStatus.returned, me, me, Department.civil_affairs) is False  # a retry
    for different in (Return("civil-02", me.reason, me.suggested_department),
                      Return(me.by, "另一个理由", me.suggested_department), Return(me.by, me.reason)):
        with pytest.raises(TaskRuleError) as exc:
            can_return(TaskStatus.returned, me, different, Department.civil_affairs)
        assert exc.value.code == "task_returned"
    with pytest.raises(TaskRuleError) as exc:
        can_return(TaskStatus.decided, None, me, Department.civil_affairs)
    assert exc.value.code == "task_already_decided"


@pytest.mark.parametrize("blank", ["", "  ", "\n"])
def test_a_return_gives_its_reason_and_suggests_another_department(blank: str) -> None:
    with pytest.raises(TaskRuleError) as exc:
        can_return(TaskStatus.assigned, None, Return("a", blank), Department.education)
    assert (exc.value.field, exc.value.code) == ("reason", "reason_required")
    with pytest.raises(TaskRuleError) as exc:
        can_return(TaskStatus.assigned, None, Return("a", "不属于本部门", Department.education),
                   Department.education)
    assert exc.value.field == "suggested_department" and exc.value.fields[0][2]


def test_materials_are_asked_for_once_until_supplemented() -> None:
    ask = MaterialsRequest("civil-01", ("income_proof",), "请补充近六个月收入证明")
    for status in OPEN_STATUSES:
        if status != TaskStatus.awaiting_materials:
            assert can_request_materials(status, None, ask) is True
    assert can_request_materials(TaskStatus.awaiting_materials, ask, ask) is False
    with pytest.raises(TaskRuleError) as exc:
        can_request_materials(TaskStatus.awaiting_materials, ask,
                              MaterialsRequest("civil-01", ("housing_proof",)))
    assert exc.value.code == "materials_already_requested" and not exc.value.fields
    for closed in (TaskStatus.returned, TaskStatus.decided):
        with pytest.raises(TaskRuleError):
            can_request_materials(closed, None, ask)


def test_asked_materials_must_be_known_and_not_verifiable_by_the_system() -> None:
    known = POLICY.materials
    needs = material_needs(["income_proof", "housing_proof"], known, ["dibao"])
    assert [(n.code, n.name, n.items) for n in needs] == [
        ("income_proof", "家庭收入证明", ["dibao"]), ("housing_proof", "住房困难情况证明", ["dibao"])]
    with pytest.raises(TaskRuleError) as exc:
        material_needs(["income_proof", "no_such", "id_card", "other_unknown"], known, ["dibao"])
    assert [f for f, _, _ in exc.value.fields] == ["materials.1", "materials.2", "materials.3"]
    assert all(en and zh for _, en, zh in exc.value.fields)
    assert "系统核验" in exc.value.fields[1][2]


# -- Separation of duties (002 §一): accept, review, confirm by three people -------------------


@pytest.mark.parametrize(("acceptor", "reviewer", "confirmer"),
                         list(itertools.product("xyz", repeat=3)))
def test_three_different_people_or_refused(acceptor: str, reviewer: str, confirmer: str) -> None:
    allowed = len({acceptor, reviewer, confirmer}) == 3
    try:
        assert can_review(TaskStatus.accepted, required=True, accepted_by=acceptor, reviewed=None,
                          by=reviewer, opinion="情况属实") is True
        check_duties(accepted_by=acceptor, reviewed_by=reviewer, decided_by=confirmer)
    except TaskRuleError as exc:
        assert not allowed
        assert (exc.code, exc.message_zh, exc.fields) == (
            "separation_of_duties", "受理、初审、审核确认不能为同一人", [])
    else:
        assert allowed


def test_a_decision_needs_the_review_first() -> None:
    with pytest.raises(TaskRuleError) as exc:
        check_duties(accepted_by="x", reviewed_by=None, decided_by="z")
    assert exc.value.code == "review_required" and not exc.value.fields


def test_review_rules() -> None:
    review = {"required": True, "accepted_by": "x", "by": "y", "opinion": "同意"}
    assert can_review(TaskStatus.accepted, **review, reviewed=("y", "同意")) is False  # a retry
    with pytest.raises(TaskRuleError) as exc:
        can_review(TaskStatus.accepted, **review, reviewed=("w", "同意"))
    assert exc.value.code == "task_already_reviewed"
    with pytest.raises(TaskRuleError) as exc:
        can_review(TaskStatus.assigned, **(review | {"accepted_by": None}), reviewed=None)
    assert exc.value.code == "task_not_accepted"
    with pytest.raises(TaskRuleError) as exc:
        can_review(TaskStatus.accepted, **(review | {"required": False}), reviewed=None)
    assert exc.value.code == "review_not_required"
    with pytest.raises(TaskRuleError) as exc:
        can_review(TaskStatus.accepted, **(review | {"opinion": " "}), reviewed=None)
    assert exc.value.field == "opinion"
    for closed in (TaskStatus.returned, TaskStatus.decided):
        with pytest.raises(TaskRuleError):
            can_review(closed, **review, reviewed=None)


# -- Emergency aid (002 §四): within the cap, paperwork after ------------------------------------

EMERGENCY = POLICY.items[Item.emergency_aid].emergency


@pytest.mark.parametrize("seed", range(10))
def test_emergency_aid_within_the_cap_is_allowed_above_is_refused(seed: int) -> None:
    assert EMERGENCY is not None and EMERGENCY.cap_yuan == 5000
    rng = random.Random(seed)
    within = Decimal(rng.randint(1, 500000)).scaleb(-2)
    check_emergency(EMERGENCY, Decision(Outcome.approved, "", within, "a", rng.random() < 0.5))
    above = EMERGENCY.cap_yuan + Decimal(rng.randint(1, 10**6)).scaleb(-2)
    with pytest.raises(TaskRuleError) as exc:
        check_emergency(EMERGENCY, Decision(Outcome.approved, "", above, "a"))
    assert exc.value.field == "amount"
    assert exc.value.message_zh == "超过小额先行救助上限 5000 元，请按临时救助程序办理"


@pytest.mark.parametrize("amount", [None, Decimal(0)])
def test_an_emergency_approval_gives_an_amount(amount: Decimal | None) -> None:
    with pytest.raises(TaskRuleError) as exc:
        check_emergency(EMERGENCY, Decision(Outcome.approved, "", amount, "a"))
    assert (exc.value.code, exc.value.field) == ("amount_required", "amount")
    check_emergency(EMERGENCY, Decision(Outcome.rejected, "不符合条件", None, "a"))


def test_paperwork_pending_only_for_an_emergency_approval() -> None:
    for rule, decision in ((None, Decision(Outcome.approved, "", Decimal(10), "a", True)),
                           (EMERGENCY, Decision(Outcome.rejected, "理由", None, "a", True))):
        with pytest.raises(TaskRuleError) as exc:
            check_emergency(rule, decision)
        assert exc.value.field == "paperwork_pending"
    check_emergency(None, Decision(Outcome.approved, "", Decimal(10**6), "a"))  # no cap elsewhere


def test_paperwork_is_due_seven_days_later_at_the_end_of_the_day() -> None:
    decided = datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)
    assert EMERGENCY is not None
    due = paperwork_due_at(EMERGENCY, decided, POLICY.calendar)
    assert due == datetime(2026, 3, 9, 23, 59, 59, tzinfo=SHANGHAI)


def test_paperwork_completion_rules() -> None:
    due = datetime(2026, 3, 9, tzinfo=UTC)
    assert can_complete_paperwork(due_at=due, completed_by=None, by="a") is True
    assert can_complete_paperwork(due_at=due, completed_by="a", by="a") is False
    with pytest.raises(TaskRuleError) as exc:
        can_complete_paperwork(due_at=due, completed_by="a", by="b")
    assert exc.value.code == "paperwork_already_completed"
    with pytest.raises(TaskRuleError) as exc:
        can_complete_paperwork(due_at=None, completed_by=None, by="a")
    assert exc.value.code == "no_paperwork_pending"


def test_a_tasks_rules_come_from_its_items() -> None:
    assert rules_for(POLICY, ["dibao"]).separation_of_duties is True
    assert rules_for(POLICY, ["temporary_aid", "tekun"]).separation_of_duties is True
    emergency = rules_for(POLICY, ["emergency_aid"])
    assert (emergency.separation_of_duties, emergency.emergency_cap_yuan) == (False, 5000)
    assert rules_for(POLICY, ["employment_aid"]) == TaskRules()
    assert rules_for(POLICY, ["education_aid", "employment_aid", "medical_aid"]).paying == (
        "education_aid", "medical_aid")  # pays_money in the policy


# -- Substitution (同岗替代, 001) ----------------------------------------------------------------


def test_new_work_goes_to_a_or_to_b_while_a_is_away() -> None:
    post = POLICY.posts["dibao"]
    assert holder_for(post, set()) == post.a
    assert holder_for(post, {post.a}) == post.b
    assert holder_for(post, {post.b}) == post.a
    assert holder_for(post, {post.a, post.b}) == post.a  # nobody to take over: it waits for A
    assert holder_for(post, {"someone-else"}) == post.a
    assert (other_holder(post, post.a), other_holder(post, post.b)) == (post.b, post.a)


# -- 免申即享 (002 §六) --------------------------------------------------------------------------


@pytest.mark.parametrize(("decided", "start"), [
    (datetime(2026, 3, 15, 4, 0, tzinfo=UTC), date(2026, 4, 1)),
    (datetime(2026, 12, 10, 4, 0, tzinfo=UTC), date(2027, 1, 1)),  # December → January
    (datetime(2026, 12, 31, 15, 59, tzinfo=UTC), date(2027, 1, 1)),  # 23:59 on 31 Dec
    (datetime(2026, 12, 31, 16, 30, tzinfo=UTC), date(2027, 2, 1)),  # already 1 Jan there
    (datetime(2026, 1, 31, 16, 0, tzinfo=UTC), date(2026, 3, 1)),  # 1 Feb in Shanghai
])
def test_grants_start_the_month_after_the_shanghai_day(decided: datetime, start: date) -> None:
    assert next_month_start(decided) == start


def test_which_approvals_confirm_a_household_and_which_grants_follow() -> None:
    assert confirmed_items(POLICY, ["temporary_aid", "tekun", "dibao"]) == ["tekun", "dibao"]
    assert confirmed_items(POLICY, ["temporary_aid"]) == []
    assert [g.grant for g in grants_of(POLICY, "education", ["dibao"])] == ["education_aid"]
    assert grants_of(POLICY, "education", ["temporary_aid"]) == []
    assert grants_of(POLICY, "medical", ["dibao"]) == []


def test_the_automatic_grant_has_one_id_and_a_written_reason() -> None:
    first = automatic_task_id("app1", "education", "education_aid")
    assert first == automatic_task_id("app1", "education", "education_aid")
    assert first != automatic_task_id("app2", "education", "education_aid")
    assert len(first) == 32
    grant = POLICY.automatic_grants[0]
    kids = [HouseholdMember(name="张小明", student=True), HouseholdMember(name="张小红", student=True)]
    household = [*kids, HouseholdMember(name="张三", relation="本人")]
    assert students(household) == kids
    reason = grant_reason(grant, kids, date(2027, 1, 1))
    # The reason goes with the decision to the ledger and the window: the names masked.
    assert grant.basis in reason and "受益学生：张**、张**；" in reason and "2027年1月" in reason
    assert "张小明" not in reason
