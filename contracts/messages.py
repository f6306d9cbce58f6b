"""Payloads of the events that cross service boundaries, each with its envelope type."""

from decimal import Decimal
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts import subjects
from contracts.codes import Channel, Department, Item
from contracts.envelope import Envelope


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Applicant(_Wire):
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=18, max_length=18)
    phone: str = Field(min_length=5, max_length=20)
    address: str = Field(default="", max_length=200)
    village: str = Field(default="", max_length=100)


class Household(_Wire):
    size: int = Field(ge=1, le=30)
    residence: Literal["urban", "rural"]
    monthly_income_per_capita: Decimal = Field(ge=0, max_digits=12, decimal_places=2)


class OnBehalfOf(_Wire):
    """Who applied for the applicant (帮办代办): a village assistant, a relative..."""

    name: str = Field(min_length=1, max_length=50)
    role: str = Field(min_length=1, max_length=50)


class Outcome(StrEnum):
    approved = "approved"
    rejected = "rejected"


class ApplicationSubmitted(_Wire):
    application_id: str
    receipt_no: str
    channel: Channel
    received_by: str
    received_at: AwareDatetime
    applicant: Applicant
    household: Household
    items: list[Item] = Field(min_length=1)
    materials: list[str] = Field(default_factory=list)
    description: str = Field(default="", max_length=2000)
    on_behalf_of: OnBehalfOf | None = None


class PlannedTask(_Wire):
    task_id: str
    department: Department
    items: list[Item] = Field(min_length=1)
    due_at: AwareDatetime  # the earliest of its items' due times
    items_due_at: dict[Item, AwareDatetime] = Field(default_factory=dict)


class ApplicationRouted(_Wire):
    """Routing split the application: one task per department, listing its items."""

    application_id: str
    tasks: list[PlannedTask] = Field(min_length=1)
    routed_at: AwareDatetime


class TaskAssigned(_Wire):
    task_id: str
    application_id: str
    receipt_no: str
    department: Department
    items: list[Item] = Field(min_length=1)
    applicant: Applicant
    household: Household
    materials: list[str] = Field(default_factory=list)
    description: str = Field(default="", max_length=2000)
    received_at: AwareDatetime
    assigned_at: AwareDatetime
    due_at: AwareDatetime
    items_due_at: dict[Item, AwareDatetime] = Field(default_factory=dict)


class TaskAccepted(_Wire):
    task_id: str
    application_id: str
    department: Department
    accepted_by: str
    accepted_at: AwareDatetime


class TaskDecided(_Wire):
    task_id: str
    application_id: str
    department: Department
    items: list[Item] = Field(min_length=1)
    outcome: Outcome
    amount: Decimal | None = Field(default=None, ge=0, max_digits=12, decimal_places=2)
    reason: str = Field(default="", max_length=2000)
    decided_by: str
    decided_at: AwareDatetime


class ApplicationCompleted(_Wire):
    """Every task of the application is decided."""

    application_id: str
    approved_items: list[Item] = Field(default_factory=list)
    rejected_items: list[Item] = Field(default_factory=list)
    completed_at: AwareDatetime


class NotificationSent(_Wire):
    notification_id: str
    application_id: str
    channel: Literal["sms", "window_inbox"]
    recipient: str
    kind: Literal["decision", "completion"]
    text: str
    sent_at: AwareDatetime


class ApplicationSubmittedMessage(Envelope[ApplicationSubmitted]):
    EVENT: ClassVar[str] = "application.submitted"
    SUBJECT: ClassVar[str] = subjects.APPLICATION_SUBMITTED


class ApplicationRoutedMessage(Envelope[ApplicationRouted]):
    EVENT: ClassVar[str] = "application.routed"
    SUBJECT: ClassVar[str] = subjects.APPLICATION_ROUTED


class TaskAssignedMessage(Envelope[TaskAssigned]):
    EVENT: ClassVar[str] = "task.assigned"
    SUBJECT: ClassVar[str] = subjects.TASK_ASSIGNED


class TaskAcceptedMessage(Envelope[TaskAccepted]):
    EVENT: ClassVar[str] = "task.accepted"
    SUBJECT: ClassVar[str] = subjects.TASK_ACCEPTED


class TaskDecidedMessage(Envelope[TaskDecided]):
    EVENT: ClassVar[str] = "task.decided"
    SUBJECT: ClassVar[str] = subjects.TASK_DECIDED


class ApplicationCompletedMessage(Envelope[ApplicationCompleted]):
    EVENT: ClassVar[str] = "application.completed"
    SUBJECT: ClassVar[str] = subjects.APPLICATION_COMPLETED


class NotificationSentMessage(Envelope[NotificationSent]):
    EVENT: ClassVar[str] = "notification.sent"
    SUBJECT: ClassVar[str] = subjects.NOTIFICATION_SENT
