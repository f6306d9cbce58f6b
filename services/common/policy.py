"""Region policy as data: departments, the items each handles, and their time limits."""

import tomllib
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts import Department, Item
from services.common.workdays import end_of_working_day_after

POLICY_DIR = Path(__file__).parent / "policies"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemPolicy(_Strict):
    limit_working_days: int | None = Field(default=None, ge=1, le=90)
    limit_hours: int | None = Field(default=None, ge=1, le=720)

    @model_validator(mode="after")
    def _one_limit(self) -> "ItemPolicy":
        if (self.limit_working_days is None) == (self.limit_hours is None):
            raise ValueError("give exactly one of limit_working_days or limit_hours")
        return self

    def due_at(self, start: datetime) -> datetime:
        """When the item must be decided, counted from ``start`` as the law counts."""
        if self.limit_hours is not None:
            return start + timedelta(hours=self.limit_hours)
        return end_of_working_day_after(start, self.limit_working_days or 0)


class DepartmentPolicy(_Strict):
    items: list[Item] = Field(min_length=1)


class Policy(_Strict):
    region: str
    name: str
    departments: dict[Department, DepartmentPolicy]
    items: dict[Item, ItemPolicy]
    demo_income_lines: dict[Literal["urban", "rural"], Decimal] = Field(
        default_factory=lambda: {"urban": Decimal(800), "rural": Decimal(650)})

    @model_validator(mode="after")
    def _consistent(self) -> "Policy":
        owners: dict[Item, Department] = {}
        for dept, dp in self.departments.items():
            for item in dp.items:
                if item in owners:
                    raise ValueError(f"item {item} is handled by both {owners[item]} and {dept}")
                owners[item] = dept
        missing = set(owners) - set(self.items)
        if missing:
            raise ValueError(f"items without a time limit: {', '.join(sorted(missing))}")
        return self

    def department_of(self, item: Item) -> Department | None:
        return next((d for d, dp in self.departments.items() if item in dp.items), None)


def load_policy_file(path: Path) -> Policy:
    with path.open("rb") as f:
        return Policy.model_validate(tomllib.load(f))


@cache
def load_policy(region: str = "default") -> Policy:
    """The policy of a shipped region by name, or of a policy file by path."""
    path = Path(region) if region.endswith(".toml") else POLICY_DIR / f"{region}.toml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in POLICY_DIR.glob("*.toml")))
        raise ValueError(f"no policy for region {region!r} (known: {known})")
    return load_policy_file(path)
