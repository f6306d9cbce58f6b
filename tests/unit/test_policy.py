"""Region policy: the shipped default, validation of a bad policy, and due times."""

import copy
import random
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from contracts import Department, Item
from services.common.policy import ItemPolicy, Policy, load_policy, load_policy_file

SHANGHAI = ZoneInfo("Asia/Shanghai")


def valid_policy_data() -> dict[str, Any]:
    return {
        "region": "test-county",
        "name": "测试县",
        "departments": {
            "civil_affairs": {"items": ["dibao", "emergency_aid"]},
            "medical": {"items": ["medical_aid"]},
        },
        "items": {
            "dibao": {"limit_working_days": 20},
            "emergency_aid": {"limit_hours": 24},
            "medical_aid": {"limit_working_days": 5},
        },
    }


def random_start(rng: random.Random) -> datetime:
    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 600 * 86400))


def test_default_policy_loads() -> None:
    policy = load_policy("default")
    assert isinstance(policy, Policy)
    assert policy.region == "default"
    assert load_policy() == policy


def test_every_item_has_exactly_one_department_and_one_limit() -> None:
    policy = load_policy("default")
    for item in Item:
        owners = [d for d, dp in policy.departments.items() if item in dp.items]
        assert len(owners) == 1, item
        assert policy.department_of(item) == owners[0]
        limit = policy.items[item]
        assert (limit.limit_working_days is None) != (limit.limit_hours is None), item
    assert set(policy.departments) <= set(Department)


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="default"):
        load_policy("atlantis")


def test_valid_custom_policy() -> None:
    policy = Policy.model_validate(valid_policy_data())
    assert policy.department_of(Item.dibao) == Department.civil_affairs
    assert policy.department_of(Item.housing_aid) is None


def invalid(mutate: str) -> dict[str, Any]:
    data = copy.deepcopy(valid_policy_data())
    if mutate == "two_departments":
        data["departments"]["medical"]["items"].append("dibao")
    elif mutate == "no_limit":
        data["departments"]["medical"]["items"].append("housing_aid")
    elif mutate == "both_limits":
        data["items"]["dibao"] = {"limit_working_days": 20, "limit_hours": 24}
    elif mutate == "no_limit_kind":
        data["items"]["dibao"] = {}
    elif mutate == "unknown_key":
        data["items"]["dibao"]["limit_weeks"] = 4
    elif mutate == "unknown_top_key":
        data["director"] = "张三"
    elif mutate == "unknown_item":
        data["departments"]["medical"]["items"].append("free_lunch")
    return data


@pytest.mark.parametrize(("mutate", "words"), [
    ("two_departments", ["dibao", "civil_affairs", "medical"]),
    ("no_limit", ["housing_aid", "time limit"]),
    ("both_limits", ["exactly one"]),
    ("no_limit_kind", ["exactly one"]),
    ("unknown_key", ["limit_weeks", "xtra"]),
    ("unknown_top_key", ["director", "xtra"]),
    ("unknown_item", ["free_lunch"]),
])
def test_invalid_policy_is_refused_readably(mutate: str, words: list[str]) -> None:
    with pytest.raises(ValidationError) as exc:
        Policy.model_validate(invalid(mutate))
    message = str(exc.value)
    for word in words:
        assert word in message, (word, message)


def test_invalid_policy_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('region = "x"\nname = "x"\n[departments.medical]\nitems = ["medical_aid"]\n'
                    '[items]\nmedical_aid = { limit_hours = 24, limit_working_days = 2 }\n',
                    encoding="utf-8")
    with pytest.raises(ValidationError, match="exactly one"):
        load_policy_file(path)


@pytest.mark.parametrize("seed", range(20))
def test_due_at_for_an_hours_limit_is_start_plus_hours(seed: int) -> None:
    rng = random.Random(seed)
    hours = rng.randint(1, 720)
    start = random_start(rng)
    assert ItemPolicy(limit_hours=hours).due_at(start) == start + timedelta(hours=hours)


@pytest.mark.parametrize("seed", range(20))
def test_due_at_for_working_days_is_the_end_of_a_day_in_shanghai(seed: int) -> None:
    rng = random.Random(seed)
    days = rng.randint(1, 20)
    start = random_start(rng)
    due = ItemPolicy(limit_working_days=days).due_at(start)
    assert due - start >= timedelta(days=days)
    assert due.astimezone(SHANGHAI).time() == time(23, 59, 59)


@pytest.mark.parametrize("field", ["limit_working_days", "limit_hours"])
@pytest.mark.parametrize("value", [0, -1, 10_000])
def test_limits_out_of_range_are_refused(field: str, value: int) -> None:
    with pytest.raises(ValidationError):
        ItemPolicy.model_validate({field: value})
