"""HTTP schemas of a department's staff API (times shown in Shanghai, stored in UTC)."""

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts import Applicant, Department, Household, Outcome
from services.common.text import FreeText, StaffId
from services.common.timefmt import LocalTime

# Who acts is the signed-in account; the fields stay for older clients and must name it.
By = Annotated[StaffId | None, Field(
    description="the signed-in account's username (optional: taken from the credential)")]
# Checked against the region's materials by the handler (naming each unknown one).
MaterialCode = Annotated[str, Field(min_length=1, max_length=50)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: By = None


class ReviewRequest(_Request):
    """初审: the preliminary review's opinion, by someone other than the acceptor."""

    by: By = None
    opinion: FreeText = Field(min_length=1, max_length=2000)


class DecisionRequest(_Request):
    outcome: Outcome
    reason: FreeText = Field(default="", max_length=2000)
    amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    decided_by: By = None
    # Emergency aid only: the aid is given now, its paperwork follows by its deadline.
    paperwork_pending: bool = False


class ReturnRequest(_Request):
    """Not this department's: why, in writing, and where it belongs if known."""

    by: By = None
    reason: FreeText = Field(min_length=1, max_length=2000)
    suggested_department: Department | None = None


class MaterialsRequestBody(_Request):
    """Everything still needed, at once (一次性告知): codes of the region's materials."""

    by: By = None
    materials: list[MaterialCode] = Field(min_length=1, max_length=30)
    note: FreeText = Field(default="", max_length=2000)

    def codes(self) -> list[str]:
        """The codes as given, repeats included: each is checked at its position as sent
        (``materials.N``), then kept once."""
        return list(self.materials)


class PaperworkRequest(_Request):
    by: By = None


class MaterialRead(BaseModel):
    code: str
    name: str


class MaterialsRequestRead(BaseModel):
    n: int
    materials: list[MaterialRead]
    note: str
    requested_by: str
    requested_at: LocalTime
    supplemented: list[str] = Field(default_factory=list)
    received_by: str | None = None
    supplemented_at: LocalTime | None = None


class TaskRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    application_id: str
    receipt_no: str
    department: str
    items: list[str]
    status: str
    applicant: Applicant
    household: Household
    materials: list[str]
    description: str
    received_at: LocalTime
    assigned_at: LocalTime
    due_at: LocalTime
    accept_due_at: LocalTime | None = None
    routing_note: str | None = None
    accepted_by: str | None
    accepted_at: LocalTime | None
    outcome: str | None
    amount: Decimal | None
    reason: str | None
    decided_by: str | None
    decided_at: LocalTime | None
    # Who has it now (同岗替代), and the post it belongs to.
    post: str | None = None
    assignee: str | None = None
    reviewed_by: str | None = None
    reviewed_at: LocalTime | None = None
    review_opinion: str | None = None
    returned_by: str | None = None
    returned_at: LocalTime | None = None
    returned_reason: str | None = None
    suggested_department: str | None = None
    materials_requested: list[MaterialsRequestRead] = Field(default_factory=list)
    paperwork_due_at: LocalTime | None = None
    paperwork_completed_by: str | None = None
    paperwork_completed_at: LocalTime | None = None
    automatic: bool = False
    # What the region policy asks of this task, for the officer handling it.
    separation_of_duties: bool = False
    emergency_cap_yuan: Decimal | None = None


class TaskPage(BaseModel):
    items: list[TaskRead]
    total: int
    offset: int
    limit: int


class HistoryRead(BaseModel):
    """One change to a task: who, when, what and why."""

    model_config = ConfigDict(from_attributes=True)

    at: LocalTime
    kind: str
    by: str | None
    detail: dict[str, Any]


class AwayRequest(_Request):
    """A holder away: approved by the leader in charge (分管领导, 001 同岗替代 五)."""

    holder: StaffId = Field(description="an account of this department holding the post")
    approved_by: By = None  # the signed-in supervisor
    reason: FreeText = Field(min_length=1, max_length=500)
    until: AwareDatetime | None = None  # the planned return; none: until they are back


class BackRequest(_Request):
    holder: StaffId


class AbsenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    holder: str
    approved_by: str
    reason: str
    since: LocalTime
    until: LocalTime | None


class PostRead(BaseModel):
    post: str
    name: str
    items: list[str]
    a: str
    b: str
    away: list[AbsenceRead]
    # Whom a new task of this post goes to now.
    current: str
