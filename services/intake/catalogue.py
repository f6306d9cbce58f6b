"""The region's catalogues at the window, read from its policy (so no one reads TOML to use
the API): materials, the supervisors and the joint meeting, the regions shipped."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from contracts import DEPARTMENT_NAMES, ITEM_NAMES, Item
from services.common.limits import Limit
from services.common.policy import Policy, known_regions, load_policy


class ItemRef(BaseModel):
    code: str
    name: str


class MaterialRead(BaseModel):
    """A material of the region's catalogue, and the items asking for it."""

    code: str
    name: str
    verifiable: bool = Field(description="the system checks it itself (identity, household "
                                         "registry): never demanded of the applicant")
    required_by: list[ItemRef] = Field(description="items that require it")
    accepted_by: list[ItemRef] = Field(description="items that take it if brought (optional)")


class LimitRead(BaseModel):
    limit: dict[str, int] = Field(description="one unit: minutes, hours, days or working_days")
    text: str = Field(description="in Chinese, e.g. 1个工作日")


class DepartmentSupervisor(BaseModel):
    department: str
    department_name: str
    supervisor: str = Field(description="first to hear of this department's late items, "
                                        "before the chain")


class ItemExtension(BaseModel):
    item: str
    item_name: str
    extension: LimitRead = Field(description="the most a supervisor may extend it by, in all")


class JointMeetingRead(BaseModel):
    name: str
    convener: str = Field(description="assigns or refers the meeting's items")
    assign: LimitRead = Field(description="time to assign an item put before it")


class SupervisorsRead(BaseModel):
    """Who hears of late work, and when: escalation n goes to ``chain[n-1]`` (the last one
    for every further escalation), a department's own supervisor first if it has one."""

    region: str
    chain: list[str]
    departments: list[DepartmentSupervisor]
    accept: LimitRead = Field(description="a department accepts a hand-off within this")
    warn_at: float = Field(description="share of a limit used when a warning goes out")
    feedback: LimitRead = Field(description="the result is reported within this after completion")
    extensions: list[ItemExtension]
    joint_meeting: JointMeetingRead


class RegionRead(BaseModel):
    code: str
    name: str
    source: str = Field(description="the documents its numbers come from")
    running: bool = Field(description="this service runs this region's policy")
    shipped: bool = Field(description="one of the policies shipped with OneDoor (else a "
                                      "policy file of its own)")


def _limit(limit: Limit) -> LimitRead:
    return LimitRead(limit=limit.model_dump(exclude_none=True), text=limit.describe())


def _refs(items: list[Item]) -> list[ItemRef]:
    return [ItemRef(code=i, name=ITEM_NAMES[i]) for i in items]


def materials(policy: Policy) -> list[MaterialRead]:
    return [MaterialRead(
        code=code, name=m.name, verifiable=m.verifiable,
        required_by=_refs([i for i, p in policy.items.items() if code in p.materials.required]),
        accepted_by=_refs([i for i, p in policy.items.items() if code in p.materials.optional]),
    ) for code, m in policy.materials.items()]


def supervisors(policy: Policy) -> SupervisorsRead:
    s, meeting = policy.supervision, policy.joint_meeting
    return SupervisorsRead(
        region=policy.region, chain=list(s.supervisors),
        departments=[DepartmentSupervisor(department=d, department_name=DEPARTMENT_NAMES[d],
                                          supervisor=p.supervisor)
                     for d, p in policy.departments.items() if p.supervisor],
        accept=_limit(s.accept), warn_at=s.warn_at, feedback=_limit(s.feedback),
        extensions=[ItemExtension(item=i, item_name=ITEM_NAMES[i], extension=_limit(p.extension))
                    for i, p in policy.items.items() if p.extension],
        joint_meeting=JointMeetingRead(name=meeting.name, convener=meeting.convener,
                                       assign=_limit(meeting.assign)))


def regions(policy: Policy) -> list[RegionRead]:
    """The shipped regions; a policy file of its own (``--region my-town.toml``) is listed
    after them, even if it reuses a shipped region's code."""
    found = [RegionRead(code=p.region, name=p.name, source=p.source, shipped=True,
                        running=p is policy)
             for p in (load_policy(code) for code in known_regions())]
    if not any(r.running for r in found):
        found.append(RegionRead(code=policy.region, name=policy.name, source=policy.source,
                                shipped=False, running=True))
    return found


def build_router(policy: Policy) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["catalogue"])

    @router.get("/materials", response_model=list[MaterialRead])
    async def list_materials() -> list[MaterialRead]:
        """The region's materials: code, Chinese name, whether the system verifies it
        itself, and the items that require or accept it."""
        return materials(policy)

    @router.get("/supervisors", response_model=SupervisorsRead)
    async def list_supervisors() -> SupervisorsRead:
        """The supervision chain and its limits, each item's extension limit, the joint
        meeting."""
        return supervisors(policy)

    @router.get("/regions", response_model=list[RegionRead])
    async def list_regions() -> list[RegionRead]:
        """The regions shipped (code, Chinese name, documents), and which one this service
        runs."""
        return regions(policy)

    return router
