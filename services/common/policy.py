"""Region policy as data (one TOML file per region): departments and their items, levels,
time limits, materials, supervision, the joint meeting, referrals, A/B posts, 免申即享.

A township adopts OneDoor by writing its policy, not by changing code; ``onedoor policy
check FILE`` validates one with the same code the services run at start.
"""

import tomllib
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from contracts import Department, Item
from services.common.limits import Limit
from services.common.workdays import DEFAULT_CALENDAR, Calendar, load_calendar

POLICY_DIR = Path(__file__).parent / "policies"

Level = Literal["window", "township", "above_township"]
Route = Literal["department", "joint_meeting", "referral"]
# The applicant's personal data a department may need in full to handle an item.
PersonalField = Literal["name", "id_number", "phone", "address"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LevelPolicy(_Strict):
    """A level of handling (000 §四): how fast the window hands an item on, and the default
    time the handler has."""

    name: str
    transfer: Limit
    handle: Limit | None = None


class MaterialPolicy(_Strict):
    name: str
    # The system can check it itself (identity, household registry): never demanded (002 §九).
    verifiable: bool = False


class Materials(_Strict):
    required: list[str] = Field(default_factory=list)
    optional: list[str] = Field(default_factory=list)


class EmergencyRule(_Strict):
    """Small amount first, paperwork after (急难型临时救助, 002 §四)."""

    cap_yuan: Decimal = Field(default=Decimal(5000), gt=0)
    paperwork: Limit = Limit(days=7)
    paperwork_materials: list[str] = Field(default_factory=list)


class ItemPolicy(_Strict):
    level: Level = "township"
    limit: Limit | None = None  # None: the level's ``handle`` limit
    extension: Limit | None = None  # the most a supervisor may extend it by; None: no extension
    route: Route = "department"
    referral_to: str | None = None  # the organisation a referral goes to
    materials: Materials = Materials()
    separation_of_duties: bool = False  # accept, review, confirm: three people (002 §一)
    # An approval grants money (an allowance, a one-off sum): the decision gives its amount.
    pays_money: bool = False
    # The most one approval may grant (yuan); None: the region sets no cap (emergency aid has
    # its own, ``emergency.cap_yuan``).
    max_amount_yuan: Decimal | None = Field(default=None, gt=0)
    emergency: EmergencyRule | None = None
    alternates: list[Department] = Field(default_factory=list)  # where a returned task may go
    # What of the applicant the department's staff see in full; None: everything. The rest
    # is shown masked (张**, 320281********123X, 139****5678).
    personal_data: list[PersonalField] | None = None
    source: str = ""  # the document and article the numbers come from


class DepartmentPolicy(_Strict):
    items: list[Item] = Field(min_length=1)
    supervisor: str | None = None  # first to hear of this department's late items


class Post(_Strict):
    """A post with its A and B holders (同岗替代, 001): when A is away, B takes the work."""

    name: str
    department: Department
    items: list[Item] = Field(min_length=1)
    a: str
    b: str


class SupervisionPolicy(_Strict):
    # Escalation n goes to supervisors[n-1] (the last one for every further escalation).
    supervisors: list[str] = Field(min_length=1)
    accept: Limit = Limit(working_days=1)  # a department accepts a hand-off within this
    warn_at: float = Field(default=0.75, gt=0, lt=1)  # share of a limit used: "at risk"
    feedback: Limit = Limit(working_days=1)  # result reported after completion (002 §五)


class JointMeetingPolicy(_Strict):
    name: str = "社会救助联席会议"
    convener: str  # the supervisor who assigns its items
    assign: Limit = Limit(working_days=2)


class OutsideItem(_Strict):
    reason: str
    go_to: str


class OutsidePolicy(_Strict):
    """Requests no policy here covers: refused at the door, in writing, with where to go."""

    reason: str = "该事项不属于本地社会救助受理范围"
    go_to: str
    items: dict[Item, OutsideItem] = Field(default_factory=dict)


class AutomaticGrant(_Strict):
    """免申即享 (002 §六): an approval of ``when_approved`` gives ``grant`` without applying."""

    when_approved: list[Item] = Field(min_length=1)
    grant: Item
    department: Department
    beneficiaries: Literal["students"] = "students"
    starts: Literal["next_month"] = "next_month"
    basis: str


class Policy(_Strict):
    region: str = Field(pattern=r"^[a-z0-9_-]{1,40}$")
    name: str
    source: str = ""
    holidays_file: str | None = "holidays.toml"  # next to the policy file, or in policies/
    materials_notice: Limit = Limit(working_days=3)  # 一次性告知 at once or within (001)
    levels: dict[Level, LevelPolicy]
    departments: dict[Department, DepartmentPolicy]
    items: dict[Item, ItemPolicy]
    materials: dict[str, MaterialPolicy] = Field(default_factory=dict)
    supervision: SupervisionPolicy
    joint_meeting: JointMeetingPolicy
    outside: OutsidePolicy
    posts: dict[str, Post] = Field(default_factory=dict)
    automatic_grants: list[AutomaticGrant] = Field(default_factory=list)
    demo_income_lines: dict[Literal["urban", "rural"], Decimal] = Field(
        default_factory=lambda: {"urban": Decimal(800), "rural": Decimal(650)})
    _calendar: Calendar = PrivateAttr(default=DEFAULT_CALENDAR)

    @model_validator(mode="after")
    def _consistent(self) -> "Policy":
        from services.common.policy_checks import problems

        found = problems(self)
        if found:
            raise ValueError("; ".join(found))
        return self

    @property
    def calendar(self) -> Calendar:
        return self._calendar

    def department_of(self, item: Item) -> Department | None:
        return next((d for d, dp in self.departments.items() if item in dp.items), None)

    def disposition(self, item: Item) -> Route | Literal["outside"]:
        """What the window does with an item: hand it to its department, put it before the
        joint meeting, refer it, or refuse it at the door."""
        found = self.items.get(item)
        return "outside" if found is None else found.route

    def limit_of(self, item: Item) -> Limit:
        found = self.items[item]
        limit = found.limit or self.levels[found.level].handle
        assert limit is not None  # checked at load
        return limit

    def due_at(self, item: Item, start: datetime) -> datetime:
        """When ``item`` must be decided, for an application accepted at ``start``."""
        return self.limit_of(item).due_at(start, self.calendar)

    def transfer_due_at(self, item: Item, start: datetime) -> datetime:
        return self.levels[self.items[item].level].transfer.due_at(start, self.calendar)

    def accept_due_at(self, start: datetime) -> datetime:
        return self.supervision.accept.due_at(start, self.calendar)

    def supervisor(self, level: int, department: Department | None = None) -> str:
        """Who hears of escalation ``level`` (1, 2...) about ``department``."""
        chain = list(self.supervision.supervisors)
        own = self.departments[department].supervisor if department in self.departments else None
        if own:
            chain.insert(0, own)
        return chain[min(max(level, 1), len(chain)) - 1]

    def post_of(self, department: Department, item: Item) -> Post | None:
        return next((p for p in self.posts.values()
                     if p.department == department and item in p.items), None)

    def missing_materials(self, items: list[Item], provided: list[str]) -> dict[str, list[Item]]:
        """Required materials not handed in, with the items needing each; materials the
        system verifies itself are never asked for."""
        missing: dict[str, list[Item]] = {}
        for item in items:
            found = self.items.get(item)
            if found is None:
                continue
            for code in found.materials.required:
                if code not in provided and not self.materials[code].verifiable:
                    missing.setdefault(code, []).append(item)
        return missing


def load_policy_file(path: Path) -> Policy:
    """Load and validate a policy file (a ``ValueError`` naming what is wrong)."""
    with path.open("rb") as f:
        policy = Policy.model_validate(tomllib.load(f))
    if policy.holidays_file:
        candidates = [path.parent / policy.holidays_file, POLICY_DIR / policy.holidays_file]
        found = next((c for c in candidates if c.exists()), None)
        if found is None:
            raise ValueError(f"holidays_file {policy.holidays_file!r} not found next to "
                             f"{path} nor in {POLICY_DIR}")
        policy._calendar = load_calendar(found)
    return policy


def known_regions() -> list[str]:
    return sorted(p.stem for p in POLICY_DIR.glob("*.toml") if p.stem != "holidays")


def load_policy(region: str = "default") -> Policy:
    """The policy of a shipped region by name, or of a policy file by path (loaded once)."""
    return _load_policy(region)


@cache
def _load_policy(region: str) -> Policy:
    path = Path(region) if region.endswith(".toml") else POLICY_DIR / f"{region}.toml"
    if not path.exists() or path.stem == "holidays":
        raise ValueError(f"no policy for region {region!r} (known: {', '.join(known_regions())})")
    return load_policy_file(path)
