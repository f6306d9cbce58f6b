"""The region policy model: limits, validation that names what is wrong, and the questions
services ask a policy (owner, disposition, limit, supervisor, post, missing materials)."""

import copy
import random
import tomllib
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from contracts import Department, Item
from services.common.limits import Limit
from services.common.policy import POLICY_DIR, Policy, load_policy, load_policy_file
from services.common.workdays import Calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


# A small valid policy: two departments, the window, the joint meeting and a referral.
MINIMAL = """
region = "test-county"
name = "测试县"

[levels.window]
name = "窗口"
transfer = { hours = 1 }
handle = { minutes = 30 }

[levels.township]
name = "乡镇"
transfer = { hours = 2 }
handle = { working_days = 15 }

[supervision]
supervisors = ["director", "deputy"]

[joint_meeting]
convener = "deputy"

[outside]
go_to = "县政务服务中心"

[materials]
id_card = { name = "身份证", verifiable = true }
form = { name = "申请书" }

[departments.civil_affairs]
items = ["dibao", "emergency_aid"]
supervisor = "civil_head"

[departments.medical]
items = ["medical_aid"]

[departments.window]
items = ["consultation"]

[items.dibao]
limit = { working_days = 20 }
extension = { working_days = 10 }
materials = { required = ["id_card", "form"] }

[items.emergency_aid]
limit = { hours = 24 }

[items.medical_aid]
materials = { required = ["form"] }

[items.consultation]
level = "window"

[items.other]
route = "joint_meeting"

[items.charity_referral]
route = "referral"
referral_to = "慈善总会"

[posts.dibao]
name = "低保"
department = "civil_affairs"
items = ["dibao"]
a = "zhang"
b = "li"
"""


def minimal() -> dict[str, Any]:
    return tomllib.loads(MINIMAL) | {"holidays_file": None}


def test_minimal_policy_answers_its_questions() -> None:
    policy = Policy.model_validate(minimal())
    assert policy.department_of(Item.dibao) == Department.civil_affairs
    assert policy.department_of(Item.other) is None
    assert policy.disposition(Item.dibao) == "department"
    assert policy.disposition(Item.other) == "joint_meeting"
    assert policy.disposition(Item.charity_referral) == "referral"
    assert policy.disposition(Item.housing_aid) == "outside"
    assert policy.limit_of(Item.dibao) == Limit(working_days=20)
    assert policy.limit_of(Item.medical_aid) == Limit(working_days=15)  # the level's handle
    assert policy.limit_of(Item.consultation) == Limit(minutes=30)


def test_supervisors_escalate_from_the_departments_own() -> None:
    policy = Policy.model_validate(minimal())
    chain = [policy.supervisor(n, Department.civil_affairs) for n in range(0, 6)]
    assert chain == ["civil_head", "civil_head", "director", "deputy", "deputy", "deputy"]
    assert policy.supervisor(1, Department.medical) == "director"
    assert policy.supervisor(2) == "deputy"


def test_post_and_missing_materials() -> None:
    policy = Policy.model_validate(minimal())
    post = policy.post_of(Department.civil_affairs, Item.dibao)
    assert post is not None and (post.a, post.b) == ("zhang", "li")
    assert policy.post_of(Department.medical, Item.medical_aid) is None
    # id_card is verifiable: never demanded, even when not handed in
    missing = policy.missing_materials([Item.dibao, Item.medical_aid, Item.housing_aid], [])
    assert missing == {"form": [Item.dibao, Item.medical_aid]}
    assert policy.missing_materials([Item.dibao], ["form"]) == {}


def mutate(change: str) -> dict[str, Any]:
    data = copy.deepcopy(minimal())
    items, depts = data["items"], data["departments"]
    if change == "two_departments":
        depts["medical"]["items"].append("dibao")
    elif change == "department_route_without_department":
        items["housing_aid"] = {}
    elif change == "listed_without_entry":
        depts["medical"]["items"].append("housing_aid")
    elif change == "referral_without_referral_to":
        del items["charity_referral"]["referral_to"]
    elif change == "unknown_material":
        items["dibao"]["materials"]["required"].append("birth_certificate")
    elif change == "same_a_and_b":
        data["posts"]["dibao"]["b"] = "zhang"
    elif change == "window_item_not_window_level":
        items["consultation"]["level"] = "township"
    elif change == "window_level_item_elsewhere":
        items["medical_aid"]["level"] = "window"
    elif change == "joint_meeting_item_in_a_department":
        depts["civil_affairs"]["items"].append("other")
    elif change == "missing_level":
        items["medical_aid"]["level"] = "above_township"
    elif change == "extension_other_unit":
        items["dibao"]["extension"] = {"days": 10}
    elif change == "outside_and_handled":
        data["outside"]["items"] = {"dibao": {"reason": "不办", "go_to": "别处"}}
    elif change == "post_item_elsewhere":
        data["posts"]["dibao"]["items"].append("medical_aid")
    elif change == "alternate_is_own_department":
        items["medical_aid"]["alternates"] = ["medical"]
    elif change == "two_units":
        items["dibao"]["limit"] = {"working_days": 20, "hours": 24}
    elif change == "no_unit":
        items["dibao"]["limit"] = {}
    elif change == "unknown_key":
        items["dibao"]["limit_weeks"] = 4
    elif change == "unknown_item":
        depts["medical"]["items"].append("free_lunch")
    elif change == "bad_region":
        data["region"] = "Test County"
    return data


@pytest.mark.parametrize(("change", "words"), [
    ("two_departments", ["dibao", "civil_affairs", "medical", "both"]),
    ("department_route_without_department", ["items.housing_aid", "no department"]),
    ("listed_without_entry", ["departments.medical", "housing_aid", "no entry"]),
    ("referral_without_referral_to", ["items.charity_referral", "referral_to"]),
    ("unknown_material", ["items.dibao", "birth_certificate", "[materials]"]),
    ("same_a_and_b", ["posts.dibao", "different people"]),
    ("window_item_not_window_level", ["items.consultation", "level"]),
    ("window_level_item_elsewhere", ["items.medical_aid", "window"]),
    ("joint_meeting_item_in_a_department", ["items.other", "joint_meeting", "civil_affairs"]),
    ("missing_level", ["items.medical_aid", "above_township", "[levels]"]),
    ("extension_other_unit", ["items.dibao", "same unit"]),
    ("outside_and_handled", ["outside.items.dibao"]),
    ("post_item_elsewhere", ["posts.dibao", "medical_aid"]),
    ("alternate_is_own_department", ["items.medical_aid", "own department"]),
    ("two_units", ["exactly one"]),
    ("no_unit", ["exactly one"]),
    ("unknown_key", ["limit_weeks", "xtra"]),
    ("unknown_item", ["free_lunch"]),
    ("bad_region", ["region"]),
])
def test_an_invalid_policy_is_refused_naming_what_is_wrong(change: str, words: list[str]) -> None:
    with pytest.raises(ValidationError) as exc:
        Policy.model_validate(mutate(change))
    message = str(exc.value)
    for word in words:
        assert word in message, (word, message)


def test_every_problem_is_reported_at_once() -> None:
    data = mutate("same_a_and_b")
    del data["items"]["charity_referral"]["referral_to"]
    with pytest.raises(ValidationError) as exc:
        Policy.model_validate(data)
    assert "different people" in str(exc.value) and "referral_to" in str(exc.value)


@pytest.mark.parametrize("unit", ["minutes", "hours", "days", "working_days"])
@pytest.mark.parametrize("value", [0, -1, 100_000])
def test_limits_out_of_range_are_refused(unit: str, value: int) -> None:
    with pytest.raises(ValidationError):
        Limit.model_validate({unit: value})


def test_limit_describes_itself_in_chinese() -> None:
    assert Limit(working_days=20).describe() == "20个工作日"
    assert Limit(hours=24).describe() == "24小时"
    assert Limit(days=2).describe() == "2天"
    assert Limit(minutes=30).describe() == "30分钟"
    assert Limit(working_days=20).total_with(Limit(working_days=10)) == Limit(working_days=30)
    assert Limit(working_days=20).total_with(Limit(days=10)) is None


def random_start(rng: random.Random) -> datetime:
    return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 690 * 86400))


@pytest.mark.parametrize("seed", range(20))
def test_minutes_and_hours_limits_are_exact_durations(seed: int) -> None:
    rng = random.Random(seed)
    start = random_start(rng)
    hours, minutes = rng.randint(1, 720), rng.randint(1, 600)
    assert Limit(hours=hours).due_at(start, Calendar()) == start + timedelta(hours=hours)
    assert Limit(minutes=minutes).due_at(start, Calendar()) == start + timedelta(minutes=minutes)


@pytest.mark.parametrize("seed", range(20))
def test_calendar_days_end_at_midnight_n_days_after_the_shanghai_day(seed: int) -> None:
    rng = random.Random(seed)
    start, days = random_start(rng), rng.randint(1, 30)
    due = Limit(days=days).due_at(start, Calendar()).astimezone(SHANGHAI)
    assert due.time() == time(23, 59, 59)
    assert due.date() - start.astimezone(SHANGHAI).date() == timedelta(days=days)


def test_calendar_days_ignore_holidays() -> None:
    eve = datetime(2025, 9, 30, 17, tzinfo=SHANGHAI)
    assert Limit(days=2).due_at(eve, Calendar()) == datetime(2025, 10, 2, 23, 59, 59, tzinfo=SHANGHAI)
    assert Limit(working_days=2).due_at(eve, Calendar()) == datetime(
        2025, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)


def test_the_24_hour_limit_runs_through_a_holiday() -> None:
    policy = load_policy("default")
    eve = datetime(2025, 9, 30, 17, tzinfo=SHANGHAI)
    assert policy.due_at(Item.emergency_aid, eve) == datetime(2025, 10, 1, 17, tzinfo=SHANGHAI)


def test_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="default"):
        load_policy("atlantis")


def write(tmp_path: Path, text: str = MINIMAL) -> Path:
    path = tmp_path / "test-county.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_policy_file_loads_with_the_shipped_holidays(tmp_path: Path) -> None:
    policy = load_policy_file(write(tmp_path))
    assert policy.model_dump() == Policy.model_validate(tomllib.loads(MINIMAL)).model_dump()
    # no override file next to the policy: the shipped one in policies/ is used
    assert date(2027, 10, 1) in policy.calendar.holidays


def test_a_holidays_file_next_to_the_policy_wins(tmp_path: Path) -> None:
    (tmp_path / "holidays.toml").write_text('[years.2027]\nholidays = ["2027-03-03"]\n')
    policy = load_policy_file(write(tmp_path))
    assert policy.calendar.holidays == frozenset({date(2027, 3, 3)})


def test_a_missing_holidays_file_is_a_clear_error(tmp_path: Path) -> None:
    text = 'holidays_file = "nowhere.toml"\n' + MINIMAL
    with pytest.raises(ValueError, match=r"holidays_file 'nowhere\.toml' not found"):
        load_policy_file(write(tmp_path, text))


def test_a_broken_holidays_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "holidays.toml").write_text('[years.2027]\nholidays = ["someday"]\n')
    with pytest.raises(ValueError, match="someday"):
        load_policy_file(write(tmp_path))


def test_the_default_template_is_in_the_policy_directory() -> None:
    assert (POLICY_DIR / "default.toml").exists()
    assert load_policy() == load_policy("default")
