"""Routing: splitting an application into one task per department."""

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts import Department, Item
from services.common.policy import Policy, load_policy
from services.routing.domain import TaskPlan, UnroutableItem, split, task_id

POLICY = load_policy("default")
SEEDS = range(40)


def random_items(rng: random.Random, k: int | None = None) -> list[Item]:
    """A random, non-repeating selection of items in a random order."""
    items = list(Item)
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
            assert due == POLICY.items[item].due_at(received)
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


def small_policy() -> Policy:
    return Policy.model_validate({
        "region": "test-county",
        "name": "测试县",
        "departments": {
            "medical": {"items": ["medical_aid"]},
            "education": {"items": ["education_aid", "youth_aid"]},
        },
        "items": {
            "medical_aid": {"limit_hours": 48},
            "education_aid": {"limit_working_days": 10},
            "youth_aid": {"limit_hours": 12},
        },
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
