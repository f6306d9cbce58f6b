"""Supervision's HTTP request and response bodies. Times in Beijing time."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from services.common.glossary import field_zh
from services.common.limits import Limit
from services.common.text import FreeText, StaffName
from services.common.timefmt import LocalTime

_UNITS = ("working_days", "days", "hours")


class ExtendBy(BaseModel):
    """Exactly one unit: working days (the law's count), calendar days, or hours."""

    model_config = ConfigDict(extra="forbid")

    working_days: int | None = Field(default=None, ge=1, le=250)
    days: int | None = Field(default=None, ge=1, le=365)
    hours: int | None = Field(default=None, ge=1, le=2000)

    @model_validator(mode="after")
    def _one_unit(self) -> "ExtendBy":
        if sum(getattr(self, u) is not None for u in _UNITS) != 1:
            raise PydanticCustomError("one_unit", "give exactly one of working_days, days or hours",
                                      {"zh": f"{'、'.join(map(field_zh, _UNITS))}须且只能填写一项"})
        return self

    def limit(self) -> Limit:
        unit = next(u for u in _UNITS if getattr(self, u) is not None)
        return Limit(**{unit: getattr(self, unit)})


class ExtensionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task_id: str = Field(min_length=1, max_length=64)
    extend_by: ExtendBy
    approved_by: StaffName | None = Field(
        default=None, description="the signed-in supervisor's username (optional: taken from "
                                  "the credential)")
    reason: FreeText = Field(max_length=2000)  # cleaned, then required below

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value:
            raise PydanticCustomError("reason_blank", "a reason is required",
                                      {"zh": "必须说明延期理由"})
        return value


class ExtensionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    task_id: str
    application_id: str
    department: str
    extend_by: dict[str, int]
    approved_by: str
    reason: str
    from_due_at: LocalTime
    to_due_at: LocalTime
    extended_at: LocalTime


class OverdueStage(BaseModel):
    """An open stage past its due time now."""

    stage: Literal["assign", "accept", "decide", "paperwork"]
    application_id: str
    receipt_no: str
    task_id: str | None
    case_id: str | None = Field(description="the joint-meeting case (stage assign)")
    department: str | None
    department_name: str | None
    items: list[str]
    due_at: LocalTime
    overdue_hours: float
    overdue_working_days: int
    escalation_level: int = Field(description="the escalation level the time has reached")
    supervisor: str = Field(description="who that level goes to")


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    alert_id: str
    stage: str
    level: int = Field(description="0: warning; 1, 2...: escalations")
    application_id: str
    task_id: str | None
    subject_id: str = Field(description="the task, or the joint-meeting case")
    department: str | None
    items: list[str]
    due_at: LocalTime
    supervisor: str
    raised_at: LocalTime


class DepartmentFigures(BaseModel):
    department: str
    department_name: str
    received: int = Field(description="hand-offs received in the period")
    decided: int
    decided_on_time: int
    decided_late: int
    returned: int
    open: int = Field(description="not decided nor returned now")
    overdue: int = Field(description="open and past the due time now")
    average_working_days: float | None = Field(description="hand-off to decision, mean")
    p90_working_days: int | None = Field(
        description="hand-off to decision, 90th percentile by the nearest-rank method "
                    "(the value at rank ⌈0.9·n⌉ of the sorted times)")


class DepartmentReport(BaseModel):
    since: date | None = Field(description="first day of hand-offs counted (Beijing time)")
    until: date | None = Field(description="last day counted, included")
    generated_at: LocalTime
    departments: list[DepartmentFigures]
