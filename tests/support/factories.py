"""Generated test data."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from stdnum import numdb

from services.common.idnumber import check_digit
from services.common.policy import Policy
from services.launcher.demo import sample_application


@dataclass(frozen=True)
class Area:
    """An area code of the national list, with the years it was in use (None: open-ended)."""

    code: str
    name: str
    start: int | None
    end: int | None


@cache
def area_codes() -> tuple[Area, ...]:
    """Every county-level code of python-stdnum's list, read from its tree (not through the
    lookup the service uses), each with the years it was in use."""
    out = []
    for _, province, _, _, counties in numdb.get("cn/loc").prefixes:
        for _, county, _, props, _ in counties:
            for entry in props.get("county", "").split(","):
                start = end = None
                if entry.startswith("["):
                    years, entry = entry[1:].split("]", 1)
                    first, last = years.split("-")
                    start, end = int(first) if first else None, int(last) if last else None
                out.append(Area(province + county, entry, start, end))
    return tuple(out)


def identity_number(area: str, born: date, sequence: int) -> str:
    """A resident identity number with a correct check digit."""
    body = f"{area}{born:%Y%m%d}{sequence:03d}"
    return body + check_digit(body)


def resident_id(rng: random.Random) -> str:
    """A valid identity number of any area the list ever had, born 1920-2010: often born
    before the area's code was created or after it was retired, as real people's are."""
    area = rng.choice(area_codes())
    born = date(1920, 1, 1) + timedelta(days=rng.randint(0, 90 * 365))
    return identity_number(area.code, born, rng.randint(0, 999))


def application(rng: random.Random, items: list[str], policy: Policy | None = None,
                **overrides: Any) -> dict[str, Any]:
    """A valid application body (valid identity number, phone...), different for each seed,
    bringing the materials its items need in ``policy`` (the default region's if None)."""
    body = sample_application(rng, items, policy)
    body["applicant"]["id_number"] = resident_id(rng)
    # No students unless a test asks: an approval of 低保/特困 then grants nothing by itself
    # (免申即享), so counts of tasks and notices stay what the items say.
    body["household"]["members"] = []
    body.update(overrides)
    return body
