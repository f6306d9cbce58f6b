"""HTTP schemas of a department's staff API."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from contracts import Applicant, Household, Outcome

StaffId = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.@-]+$")


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    by: str = StaffId


class DecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    outcome: Outcome
    reason: str = Field(default="", max_length=2000)
    amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    decided_by: str = StaffId


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
    received_at: datetime
    assigned_at: datetime
    due_at: datetime
    accepted_by: str | None
    accepted_at: datetime | None
    outcome: str | None
    amount: Decimal | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class TaskPage(BaseModel):
    items: list[TaskRead]
    total: int
    offset: int
    limit: int
