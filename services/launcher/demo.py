"""Sample applications for the demo: generated, valid, and different each run."""

import random
from typing import Any

import httpx
from stdnum.cn import ric

from services.common.policy import Policy, load_policy

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = ["秀英", "桂兰", "建国", "志强", "海燕", "春梅", "国华", "玉兰", "文杰", "小红"]
VILLAGES = ["东风村", "红星村", "新河社区", "柳树湾村", "幸福里社区"]


def _dangshan(year: int) -> str:
    """安徽省砀山县 (seed document 001): its code changed in 1998, when 宿州 became a city.

    The check of an identity number includes the county code valid at the birth date.
    """
    return "342221" if year < 1998 else "341321"


def identity_number(rng: random.Random) -> str:
    year = rng.randint(1940, 2005)
    body = f"{_dangshan(year)}{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")  # it expects a placeholder check digit


def complete_materials(items: list[str], policy: Policy | None = None) -> list[str]:
    """Every material the items need that the system cannot verify itself."""
    policy = policy or load_policy("default")
    return sorted(policy.missing_materials(items, []))  # type: ignore[arg-type]


def sample_application(rng: random.Random, items: list[str],
                       policy: Policy | None = None) -> dict[str, Any]:
    """A valid application bringing every material its items need (in ``policy``)."""
    residence = rng.choice(["urban", "rural"])
    size = rng.randint(1, 6)
    students = [{"name": rng.choice(SURNAMES) + rng.choice(GIVEN), "relation": "子女",
                 "student": True, "school": "县第一中学"} for _ in range(rng.randint(0, 2))]
    return {
        "channel": rng.choice(["window", "hotline", "online", "village"]),
        "received_by": f"window-{rng.randint(1, 3):02d}",
        "applicant": {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "id_number": identity_number(rng),
            "phone": f"13{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}",
            "address": f"{rng.randint(1, 99)}号",
            "village": rng.choice(VILLAGES),
        },
        "household": {
            "size": max(size, len(students) + 1),
            "residence": residence,
            "monthly_income_per_capita": rng.choice([150, 320, 480, 700, 1200]),
            "members": students,
        },
        "items": items,
        "materials": complete_materials(items, policy),
        "description": "家庭成员患病，收入不足以维持基本生活。",
    }


DEMO_ITEMS = [
    ["dibao", "education_aid", "medical_aid"],
    ["temporary_aid"],
    ["tekun", "medical_aid", "disabled_rehab"],
    ["housing_aid", "employment_aid"],
]


def submit_samples(base_url: str, seed: int | None = None, policy: Policy | None = None,
                   token: str | None = None) -> list[dict[str, Any]]:
    """Post the sample applications (the items ``policy`` handles, with their materials) as
    the window account whose bearer ``token`` is given (it receives them)."""
    rng = random.Random(seed)
    policy = policy or load_policy("default")
    out = []
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=base_url, timeout=10, headers=headers) as client:
        for wanted in DEMO_ITEMS:
            items = [item for item in wanted if item in policy.items]
            if not items:
                continue
            body = sample_application(rng, items, policy)
            body.pop("received_by")  # the signed-in window account receives it
            response = client.post("/api/v1/applications", json=body)
            response.raise_for_status()
            out.append(response.json())
    return out
