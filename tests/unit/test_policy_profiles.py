"""The shipped region profiles: each loads, and carries its own document's numbers (seeds
000-004, DOMAIN.md); where the documents differ, so do the profiles."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from contracts import Department, Item
from services.common.limits import Limit
from services.common.policy import Policy, known_regions, load_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROFILES = ["zhenluo", "dangshan", "district2022", "jiangyin", "menggu"]


def test_every_profile_is_shipped() -> None:
    assert set(PROFILES) | {"default"} <= set(known_regions())


@pytest.mark.parametrize("region", [*PROFILES, "default"])
def test_profile_loads_and_keeps_the_window_and_the_joint_meeting(region: str) -> None:
    policy = load_policy(region)
    assert policy.region == region
    assert policy.department_of(Item.consultation) == Department.window
    assert policy.items[Item.consultation].level == "window"
    assert policy.disposition(Item.other) == "joint_meeting"
    for item in Item:
        # handled here, or refused at the door (with where to go): never both
        assert (item in policy.items) + (item in policy.outside.items) <= 1, item
        if item in policy.items:
            assert policy.limit_of(item).amount > 0
            # every number of a seed profile cites its article (default.toml leaves some out)
            assert region == "default" or policy.items[item].source, f"{region}: {item}"


@pytest.mark.parametrize("region", PROFILES)
@pytest.mark.parametrize("seed", range(5))
def test_every_item_of_every_profile_has_a_due_time_after_receipt(region: str, seed: int) -> None:
    policy = load_policy(region)
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 690 * 1440))
    for item in policy.items:
        assert policy.due_at(item, start) > start
        assert policy.transfer_due_at(item, start) > start


def test_zhenluo_levels_are_000_section_4() -> None:
    policy = load_policy("zhenluo")
    window, township, above = (policy.levels[k] for k in ("window", "township", "above_township"))
    assert (window.handle, window.transfer) == (Limit(minutes=30), Limit(hours=1))
    assert (township.transfer, township.handle) == (Limit(hours=2), Limit(days=2))
    assert (above.transfer, above.handle) == (Limit(hours=24), Limit(days=5))
    assert policy.supervision.supervisors == ["center_director", "deputy_mayor"]
    # items take their level's limit: calendar days, holidays included
    assert policy.limit_of(Item.dibao) == Limit(days=2)
    assert policy.limit_of(Item.medical_aid) == Limit(days=5)
    eve = datetime(2025, 9, 30, 17, tzinfo=SHANGHAI)
    assert policy.due_at(Item.dibao, eve) == datetime(2025, 10, 2, 23, 59, 59, tzinfo=SHANGHAI)
    assert policy.due_at(Item.consultation, eve) == eve + timedelta(minutes=30)


def test_dangshan_limits_posts_and_income_lines_are_001s() -> None:
    policy = load_policy("dangshan")
    assert policy.limit_of(Item.dibao) == Limit(working_days=10)  # urban and rural alike
    assert policy.limit_of(Item.medical_aid) == Limit(working_days=5)
    assert policy.limit_of(Item.temporary_aid) == Limit(working_days=10)
    assert policy.limit_of(Item.tekun) == Limit(working_days=15)  # 第八条: anything else
    assert policy.levels["township"].handle == Limit(working_days=15)
    assert policy.materials_notice == Limit(working_days=3)
    # medical aid is the civil-affairs bureau's own post in Dangshan
    assert policy.department_of(Item.medical_aid) == Department.civil_affairs
    posts = {(p.a, p.b): sorted(p.items) for p in policy.posts.values()}
    assert posts == {("wang_xiaolei", "hou_weili"): [Item.dibao, Item.dibao_edge],
                     ("zhu_wenjun", "hou_weili"): [Item.medical_aid],
                     ("wang_xiaolei", "zhu_wenjun"): [Item.emergency_aid, Item.temporary_aid]}
    assert policy.demo_income_lines == {"urban": Decimal(290), "rural": Decimal(110)}
    assert Decimal(1320) / 12 == policy.demo_income_lines["rural"]
    assert policy.disposition(Item.education_aid) == "outside"


def test_district2022_is_002() -> None:
    policy = load_policy("district2022")
    for item in (Item.dibao, Item.dibao_edge, Item.tekun):
        found = policy.items[item]
        assert (found.limit, found.extension) == (Limit(working_days=20), Limit(working_days=10))
        assert found.separation_of_duties
    assert policy.limit_of(Item.temporary_aid) == Limit(working_days=15)
    emergency = policy.items[Item.emergency_aid]
    assert emergency.limit == Limit(hours=24)
    assert emergency.emergency is not None
    assert emergency.emergency.cap_yuan == Decimal(5000)
    assert emergency.emergency.paperwork == Limit(days=7)
    assert policy.supervision.feedback == Limit(working_days=1)
    assert policy.joint_meeting.assign == Limit(working_days=5)  # 一事一议 within 5 wd
    [grant] = policy.automatic_grants
    assert grant.grant == Item.education_aid and grant.department == Department.education
    assert set(grant.when_approved) == {Item.dibao, Item.dibao_edge, Item.tekun}
    assert policy.missing_materials([Item.dibao], []) == {
        "application_form": [Item.dibao], "economic_check_authorization": [Item.dibao]}


def test_jiangyin_is_003() -> None:
    policy = load_policy("jiangyin")
    assert {level.transfer for level in policy.levels.values()} == {Limit(working_days=2)}
    assert policy.department_of(Item.medical_aid) == Department.hrss
    assert policy.department_of(Item.employment_aid) == Department.hrss
    assert Department.medical not in policy.departments
    assert policy.supervision.feedback == Limit(days=2)
    assert policy.disposition(Item.charity_referral) == "referral"
    assert "慈善总会" in (policy.items[Item.charity_referral].referral_to or "")
    assert policy.joint_meeting.name == "社会救助联席会议"
    federations = set(policy.departments[Department.federations].items)
    assert federations == {Item.union_hardship, Item.youth_aid, Item.women_children_aid,
                           Item.red_cross_aid, Item.disabled_rehab}
    assert policy.department_of(Item.disaster_relief) == Department.civil_affairs


def test_menggu_is_a_township_platform_with_local_numbers() -> None:
    policy = load_policy("menggu")
    delegated = {Item.dibao, Item.dibao_edge, Item.tekun, Item.temporary_aid}
    assert delegated <= set(policy.departments[Department.civil_affairs].items)
    assert all(policy.items[i].level == "township" for i in delegated)
    for item, dept in [(Item.housing_aid, Department.housing), (Item.employment_aid, Department.hrss),
                       (Item.medical_aid, Department.medical), (Item.education_aid, Department.education)]:
        assert policy.department_of(item) == dept
        assert policy.items[item].level == "above_township"
    assert policy.materials_notice == Limit(working_days=1)
    assert "local choice" in policy.items[Item.other].source


def limits(policy: Policy, item: Item) -> Limit | None:
    return policy.limit_of(item) if item in policy.items else None


def test_the_profiles_differ_where_the_documents_differ() -> None:
    p = {r: load_policy(r) for r in PROFILES}
    # 临时救助: 10 working days in Dangshan (001), 15 in the district (002)
    assert limits(p["dangshan"], Item.temporary_aid) == Limit(working_days=10)
    assert limits(p["district2022"], Item.temporary_aid) == Limit(working_days=15)
    # 低保: 10 working days in Dangshan, 20 in the district, 2 calendar days in Zhenluo
    assert {limits(p[r], Item.dibao) for r in ("dangshan", "district2022", "zhenluo")} == {
        Limit(working_days=10), Limit(working_days=20), Limit(days=2)}
    # feedback after completion: 1 working day (002), 2 days (003)
    assert p["district2022"].supervision.feedback != p["jiangyin"].supervision.feedback
    # the hand-over to a higher level: 24 hours (000), 2 working days (003)
    assert p["zhenluo"].levels["above_township"].transfer == Limit(hours=24)
    assert p["jiangyin"].levels["above_township"].transfer == Limit(working_days=2)
    # who handles medical aid
    owners = {r: p[r].department_of(Item.medical_aid) for r in PROFILES}
    assert owners["jiangyin"] == Department.hrss
    assert owners["dangshan"] == Department.civil_affairs
    assert owners["district2022"] == Department.medical
    # only 002 has 免申即享, only 001 has named A/B posts
    assert [r for r in PROFILES if p[r].automatic_grants] == ["district2022"]
    assert [r for r in PROFILES if p[r].posts] == ["dangshan"]
    separated = [r for r in PROFILES if p[r].items[Item.dibao].separation_of_duties]
    assert separated == ["district2022"]
