"""Routing: each item by its disposition (a task per department, referrals, the joint
meeting), due times, and where a returned task goes next."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts import Department, Item
from services.common.policy import Policy, load_policy
from services.common.workdays import SHANGHAI
from services.routing import domain
from services.routing.domain import TaskPlan, UnroutableItem, split, task_id

POLICY = load_policy("default")
SEEDS = range(40)


def random_items(rng: random.Random, k: int | None = None) -> list[Item]:
    """A random, non-repeating selection of items a department handles, in a random order."""
    items = [i for i in Item if POLICY.disposition(i) == "department"]
    rng.shuffle(items)
    return items[: k if k is not None else rng.randint(1, len(items))]


def random_received_at(rng: random.Random) -> datetime:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    return start + timedelta(minutes=rng.randint(0, 60 * 24 * 700))


def app_id(rng: random.Random) -> str:
    return uuid.UUID(int=rng.getrandbits(128)).hex


def by_department(plans: list[TaskPlan]) -> dict[Department, TaskPlan]:
    return {p.department: p for p in plans}


@pytest.mark.parametrize("seed", SEEDS)
def test_one_task_per_department_covering_every_item(seed: int) -> None:
    rng = random.Random(seed)
    items = random_items(rng)
    plans = split(app_id(rng), items, random_received_at(rng), POLICY)

    departments = [p.department for p in plans]
    assert len(departments) == len(set(departments))
    assert set(departments) == {POLICY.department_of(i) for i in items}
    assigned = [i for p in plans for i in p.items]
    assert sorted(assigned) == sorted(items)
    for plan in plans:
        assert all(POLICY.department_of(i) == plan.department for i in plan.items)


@pytest.mark.parametrize("seed", SEEDS)
def test_items_of_a_task_keep_the_order_asked(seed: int) -> None:
    rng = random.Random(seed)
    items = random_items(rng)
    for plan in split(app_id(rng), items, random_received_at(rng), POLICY):
        expected = [i for i in items if POLICY.department_of(i) == plan.department]
        assert list(plan.items) == expected


def test_several_items_of_one_department_make_one_task() -> None:
    rng = random.Random(7)
    civil = [i for i in Item if POLICY.department_of(i) == Department.civil_affairs]
    assert len(civil) >= 2
    for _ in range(10):
        chosen = rng.sample(civil, rng.randint(2, len(civil)))
        plans = split(app_id(rng), chosen, random_received_at(rng), POLICY)
        assert len(plans) == 1
        assert plans[0].department == Department.civil_affairs
        assert list(plans[0].items) == chosen


@pytest.mark.parametrize("seed", SEEDS)
def test_task_ids_are_deterministic_and_distinct(seed: int) -> None:
    rng = random.Random(seed)
    items = random_items(rng)
    received = random_received_at(rng)
    first, second = app_id(rng), app_id(rng)

    a = split(first, items, received, POLICY)
    again = split(first, list(items), received + timedelta(days=3), POLICY)
    assert [p.task_id for p in a] == [p.task_id for p in again]
    assert len({p.task_id for p in a}) == len(a)

    b = split(second, items, received, POLICY)
    assert {p.task_id for p in a}.isdisjoint(p.task_id for p in b)
    for plan in a:
        assert plan.task_id == task_id(first, plan.department)


def test_task_id_depends_on_application_and_department() -> None:
    rng = random.Random(3)
    apps = [app_id(rng) for _ in range(20)]
    ids = {task_id(a, d) for a in apps for d in Department}
    assert len(ids) == len(apps) * len(Department)
    assert all(task_id(a, d) == task_id(a, d) for a in apps for d in Department)


@pytest.mark.parametrize("seed", SEEDS)
def test_due_time_is_the_earliest_of_the_task_items(seed: int) -> None:
    rng = random.Random(seed)
    items = random_items(rng)
    received = random_received_at(rng)
    for plan in split(app_id(rng), items, received, POLICY):
        assert set(plan.items_due_at) == set(plan.items)
        for item, due in plan.items_due_at.items():
            assert due == POLICY.due_at(item, received)
            assert due > received
        assert plan.due_at == min(plan.items_due_at.values())
        assert plan.due_at in plan.items_due_at.values()


def test_emergency_aid_makes_the_civil_affairs_task_due_in_24_hours() -> None:
    rng = random.Random(11)
    for _ in range(10):
        received = random_received_at(rng)
        items = [Item.dibao, Item.emergency_aid, Item.temporary_aid]
        rng.shuffle(items)
        (plan,) = split(app_id(rng), items, received, POLICY)
        assert plan.due_at == received + timedelta(hours=24)
        assert plan.items_due_at[Item.dibao] > plan.due_at


def small_policy(**items: dict) -> Policy:
    """A region of two departments, its items' limits in hours and working days."""
    return Policy.model_validate({
        "region": "test-county",
        "name": "测试县",
        "holidays_file": None,
        "levels": {"township": {"name": "乡镇", "transfer": {"hours": 2},
                                "handle": {"working_days": 15}},
                   "above_township": {"name": "上级", "transfer": {"hours": 24}}},
        "departments": {
            "medical": {"items": ["medical_aid"], "supervisor": "medical_chief"},
            "education": {"items": ["education_aid", "youth_aid"]},
            "hrss": {"items": ["employment_aid"]},
        },
        "items": {
            "medical_aid": {"limit": {"hours": 48}, "alternates": ["hrss", "education"]},
            "education_aid": {"level": "above_township", "limit": {"working_days": 10}},
            "youth_aid": {"limit": {"hours": 12}},
            "employment_aid": {},
            "charity_referral": {"route": "referral", "referral_to": "慈善总会"},
            "red_cross_aid": {"route": "referral", "referral_to": "红十字会"},
            "other": {"route": "joint_meeting"},
            **items,
        },
        "supervision": {"supervisors": ["director", "deputy"]},
        "joint_meeting": {"convener": "office"},
        "outside": {"go_to": "政务服务中心"},
    })


def test_custom_policy_routes_what_it_knows() -> None:
    policy = small_policy()
    received = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
    plans = by_department(split("app-1", [Item.education_aid, Item.medical_aid, Item.youth_aid],
                                received, policy))
    assert set(plans) == {Department.medical, Department.education}
    assert plans[Department.education].items == (Item.education_aid, Item.youth_aid)
    assert plans[Department.education].due_at == received + timedelta(hours=12)
    assert plans[Department.medical].due_at == received + timedelta(hours=48)


@pytest.mark.parametrize("seed", range(10))
def test_an_item_no_department_handles_is_unroutable(seed: int) -> None:
    rng = random.Random(seed)
    policy = small_policy()
    unknown = rng.choice([i for i in Item if policy.department_of(i) is None])
    items = [Item.medical_aid, unknown, Item.education_aid]
    rng.shuffle(items)
    with pytest.raises(UnroutableItem) as exc:
        split(app_id(rng), items, random_received_at(rng), policy)
    assert str(unknown) in str(exc.value)
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_item_goes_by_its_disposition(seed: int) -> None:
    rng = random.Random(seed)
    items = list(Item)
    rng.shuffle(items)
    items = items[: rng.randint(1, len(items))]
    start = random_received_at(rng)
    plan = domain.route(app_id(rng), items, start, start + timedelta(minutes=5), POLICY)

    tasks = [i for t in plan.tasks for i in t.items]
    referred = [i for its in plan.referrals.values() for i in its]
    assert sorted([*tasks, *referred, *plan.joint_meeting, *plan.outside]) == sorted(items)
    assert all(POLICY.disposition(i) == "department" for i in tasks)
    assert all(POLICY.disposition(i) == "referral" for i in referred)
    assert all(POLICY.disposition(i) == "joint_meeting" for i in plan.joint_meeting)
    assert all(POLICY.disposition(i) == "outside" for i in plan.outside)
    for organisation, its in plan.referrals.items():
        assert all(POLICY.items[i].referral_to == organisation for i in its)


def test_referrals_are_grouped_by_organisation_and_the_rest_goes_to_the_meeting() -> None:
    policy = small_policy(women_children_aid={"route": "referral", "referral_to": "慈善总会"})
    start = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
    plan = domain.route("app-2", [Item.charity_referral, Item.other, Item.red_cross_aid,
                                  Item.women_children_aid, Item.legal_aid, Item.youth_aid],
                        start, start, policy)
    assert plan.referrals == {"慈善总会": (Item.charity_referral, Item.women_children_aid),
                              "红十字会": (Item.red_cross_aid,)}
    assert plan.joint_meeting == (Item.other,)
    assert plan.outside == (Item.legal_aid,)
    assert [t.items for t in plan.tasks] == [(Item.youth_aid,)]


def test_nothing_for_a_department_makes_no_task() -> None:
    start = datetime(2025, 6, 2, 1, 0, tzinfo=UTC)
    plan = domain.route("app-3", [Item.other, Item.charity_referral], start, start, POLICY)
    assert plan.tasks == [] and plan.joint_meeting == (Item.other,)


def test_transfer_and_accept_due_times() -> None:
    policy = small_policy()
    # Monday 2 June 2025, 09:00 in Beijing (accepted then), handed on ten minutes later.
    start = datetime(2025, 6, 2, 9, 0, tzinfo=SHANGHAI)
    handed = start + timedelta(minutes=10)
    (plan,) = split("app-4", [Item.youth_aid, Item.education_aid], start, policy, handed)
    # The earliest transfer limit of the items' levels: township 2 hours, not 24.
    assert plan.transfer_due_at == start + timedelta(hours=2)
    # One working day (the default accept limit) after the hand-off: Tuesday's end.
    assert plan.accept_due_at == datetime(2025, 6, 3, 23, 59, 59, tzinfo=SHANGHAI)
    assert plan.items_due_at[Item.education_aid] == datetime(2025, 6, 16, 23, 59, 59,
                                                             tzinfo=SHANGHAI)
    later = domain.plan_task("t", Department.education, [Item.youth_aid], start=start,
                             handed_at=handed + timedelta(days=3), policy=policy,
                             transfer_from=handed + timedelta(days=3))
    # A later hand-off: the legal clock does not restart; transfer counts from the return.
    assert later.due_at == start + timedelta(hours=12)
    assert later.transfer_due_at == handed + timedelta(days=3, hours=2)


def test_later_tasks_and_cases_have_ids_of_their_own() -> None:
    first = task_id("app", "hrss")
    again = {task_id("app", "hrss", f"reroute:{n}") for n in range(5)}
    assert first not in again and len(again) == 5
    assert task_id("app", "hrss", "x") == task_id("app", "hrss", "x")
    assert domain.case_id("app", "submitted") != domain.case_id("app", "returned:t")
    key = domain.line_key("referral", "app", "k")
    assert key.startswith("referral:") and len(key) <= 64


def _return(policy: Policy, items: list[Item], *, returning: Department = Department.medical,
            suggested: Department | None = None, tried: dict | None = None,
            returned_before: set[Item] | None = None) -> domain.ReturnPlan:
    return domain.plan_return(items, returning=returning, suggested=suggested,
                              tried=tried or {i: {returning} for i in items},
                              returned_before=returned_before or set(), policy=policy)


def test_a_first_return_goes_to_the_suggested_department() -> None:
    plan = _return(small_policy(), [Item.medical_aid], suggested=Department.education)
    assert plan.reroutes == {Department.education: (Item.medical_aid,)}
    assert plan.joint_meeting == () and plan.reason == ""


@pytest.mark.parametrize("suggested", [None, Department.medical, Department.housing])
def test_without_a_usable_suggestion_the_first_alternate_not_tried(suggested) -> None:
    # The returning department itself, or one the region does not have, is no suggestion.
    policy = small_policy()
    plan = _return(policy, [Item.medical_aid], suggested=suggested)
    assert plan.reroutes == {Department.hrss: (Item.medical_aid,)}
    tried = {Item.medical_aid: {Department.medical, Department.hrss}}
    plan = _return(policy, [Item.medical_aid], suggested=suggested, tried=tried)
    assert plan.reroutes == {Department.education: (Item.medical_aid,)}


def test_no_department_left_goes_to_the_joint_meeting() -> None:
    plan = _return(small_policy(), [Item.youth_aid], returning=Department.education)
    assert plan.reroutes == {}
    assert plan.joint_meeting == (Item.youth_aid,)
    assert plan.reason == domain.NO_OTHER_DEPARTMENT == "无其他承办部门"


def test_a_second_return_goes_to_the_joint_meeting_whatever_is_suggested() -> None:
    plan = _return(small_policy(), [Item.medical_aid], returning=Department.hrss,
                   suggested=Department.education, returned_before={Item.medical_aid})
    assert plan.reroutes == {}
    assert plan.joint_meeting == (Item.medical_aid,)
    assert plan.reason == domain.SECOND_RETURN == "二次退回"


def test_items_of_one_return_may_part() -> None:
    policy = small_policy()
    plan = _return(policy, [Item.youth_aid, Item.medical_aid], returning=Department.education,
                   returned_before={Item.youth_aid})
    assert plan.reroutes == {Department.hrss: (Item.medical_aid,)}
    assert plan.joint_meeting == (Item.youth_aid,) and plan.reason == "二次退回"
