"""Payloads of the events that cross service boundaries, each with its envelope type."""

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from contracts import subjects
from contracts.codes import Channel, Department, Item
from contracts.envelope import Envelope


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# ``sealed``: the personal part of an event (which fields: each event says), sealed with the
# bus key that intake, the departments and notify hold and routing does not:
# ``od1.<key id>.<base64url>``, AES-256-GCM bound to the application's id
# (services/common/personal.py). When it is set, the clear fields it covers carry masked
# values (张**, 320281********123X, 139****5678; an empty address, description and member
# list; an income of 0) and a receiver holding the key reads the sealed part instead. Events
# without it (older ones, or published by hand) carry the values in clear.
def _sealed(covers: str) -> Any:
    return Field(default=None, max_length=200_000,
                 description=f"{covers}, sealed for the holders of the bus key (AES-256-GCM)")


class Applicant(_Wire):
    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=18, max_length=18)
    phone: str = Field(min_length=5, max_length=20)
    address: str = Field(default="", max_length=200)
    village: str = Field(default="", max_length=100)


class HouseholdMember(_Wire):
    """A member of the applicant's household; students get education aid without applying
    when the household is confirmed 低保/低边/特困 (免申即享, 002 §六)."""

    name: str = Field(min_length=1, max_length=50)
    relation: str = Field(default="", max_length=20)
    student: bool = False
    school: str = Field(default="", max_length=100)


class Household(_Wire):
    size: int = Field(ge=1, le=30)
    residence: Literal["urban", "rural"]
    monthly_income_per_capita: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    members: list[HouseholdMember] = Field(default_factory=list, max_length=30)


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
    # When the window accepted it with every material (受理): time limits count from the
    # next day (001 第十条). Later than ``received_at`` when materials had to be supplemented.
    accepted_at: AwareDatetime | None = None
    # The staff member responsible for it now (首问负责): ``received_by`` unless handed over.
    owner: str | None = None
    sealed: str | None = _sealed("applicant, household, description, on_behalf_of")


class PlannedTask(_Wire):
    task_id: str
    department: Department
    items: list[Item] = Field(min_length=1)
    due_at: AwareDatetime  # the earliest of its items' due times
    items_due_at: dict[Item, AwareDatetime] = Field(default_factory=dict)
    # By when the department must have accepted the hand-off.
    accept_due_at: AwareDatetime | None = None


class ApplicationRouted(_Wire):
    """Routing split the application: one task per department, listing its items.

    Published again (``revision`` > 0) whenever routing hands items on later: a returned task
    re-routed, or an item the joint meeting assigned."""

    application_id: str
    tasks: list[PlannedTask] = Field(min_length=1)
    routed_at: AwareDatetime
    revision: int = 0
    reason: str = Field(default="", max_length=500)


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
    accept_due_at: AwareDatetime | None = None
    # When the limits started (受理); ``received_at`` on messages older than this field.
    accepted_at: AwareDatetime | None = None
    # Why it came here, when it is not the first routing (re-routed, joint meeting).
    routing_note: str = Field(default="", max_length=500)
    # ApplicationSubmitted.sealed, passed on by routing unread.
    sealed: str | None = _sealed("applicant, household, description, on_behalf_of")
    # Every item the application asks, of every department (empty on older messages): what
    # a department grants without application (免申即享) must know was asked elsewhere.
    application_items: list[Item] = Field(default_factory=list)


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
    # Emergency aid decided before its paperwork (小额先行): the paperwork is due by then.
    paperwork_due_at: AwareDatetime | None = None
    # Granted without an application (免申即享): the event it followed, for the record.
    automatic: bool = False


class TaskReturned(_Wire):
    """A department says the task is not theirs; routing re-routes it (or, the second time,
    puts it before the joint meeting)."""

    task_id: str
    application_id: str
    department: Department
    items: list[Item] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=2000)
    suggested_department: Department | None = None
    returned_by: str
    returned_at: AwareDatetime


class MaterialNeed(_Wire):
    code: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=100)
    items: list[Item] = Field(default_factory=list)


class TaskMaterialsRequested(_Wire):
    """A department needs more materials; the window relays the request in one notice."""

    task_id: str
    application_id: str
    department: Department
    materials: list[MaterialNeed] = Field(min_length=1)
    note: str = Field(default="", max_length=2000)
    requested_by: str
    requested_at: AwareDatetime


class TaskMaterialsSupplemented(_Wire):
    """The applicant brought what the department asked for (to the window)."""

    task_id: str
    application_id: str
    department: Department
    materials: list[str] = Field(min_length=1)
    received_by: str
    supplemented_at: AwareDatetime


class TaskDeadlineExtended(_Wire):
    """A supervisor extended a task's time limit: a named approver and a reason (001 第十一条)."""

    task_id: str
    application_id: str
    department: Department
    items: list[Item] = Field(min_length=1)
    previous_due_at: AwareDatetime
    due_at: AwareDatetime
    approved_by: str
    reason: str = Field(min_length=1, max_length=2000)
    extended_at: AwareDatetime


class TaskPaperworkCompleted(_Wire):
    """The paperwork of aid given before it (emergency aid) is complete."""

    task_id: str
    application_id: str
    department: Department
    completed_by: str
    completed_at: AwareDatetime


class Contact(_Wire):
    """Whom a notice about an application goes to: the applicant and the responsible staff."""

    receipt_no: str
    name: str
    phone: str
    window_staff: str


class ApplicationMaterialsRequested(_Wire):
    """One notice of everything missing (一次性告知), from the window or a department."""

    application_id: str
    contact: Contact
    missing: list[MaterialNeed] = Field(min_length=1)
    requested_by: str  # "window", or the department that asked
    task_id: str | None = None
    note: str = Field(default="", max_length=2000)
    requested_at: AwareDatetime
    sealed: str | None = _sealed("contact.name, contact.phone")


class RefusedItem(_Wire):
    item: Item
    reason: str = Field(min_length=1, max_length=1000)
    go_to: str = Field(default="", max_length=500)


class ApplicationRefused(_Wire):
    """Items outside every policy, refused at the door in writing with where to go instead.
    ``whole``: nothing of the application remains to handle."""

    application_id: str
    contact: Contact
    items: list[RefusedItem] = Field(min_length=1)
    whole: bool
    refused_by: str
    refused_at: AwareDatetime
    sealed: str | None = _sealed("contact.name, contact.phone")


class ApplicationHandedOver(_Wire):
    """The first receiver handed the application over to a colleague (recorded, 首问负责制)."""

    application_id: str
    from_staff: str
    to_staff: str
    reason: str = Field(min_length=1, max_length=500)
    handed_over_at: AwareDatetime


class ItemsReferred(_Wire):
    """Items referred to a charity or social organisation (转介); closed for the window."""

    application_id: str
    items: list[Item] = Field(min_length=1)
    organisation: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=1000)
    referred_by: str
    referred_at: AwareDatetime


class JointMeetingQueued(_Wire):
    """Items with no clear owner (or returned twice) put before the joint meeting (联席会议)."""

    case_id: str
    application_id: str
    items: list[Item] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=1000)
    queued_at: AwareDatetime
    assign_due_at: AwareDatetime


class HouseholdStatusConfirmed(_Wire):
    """Civil affairs confirmed a household's status (低保, 低边, 特困): what 免申即享 follows."""

    application_id: str
    task_id: str
    items: list[Item] = Field(min_length=1)
    applicant: Applicant
    household: Household
    confirmed_by: str
    confirmed_at: AwareDatetime
    effective_from: date
    sealed: str | None = _sealed("applicant, household")
    # TaskAssigned.application_items of the confirming task: a grant the application asked
    # for is decided by its own task, wherever that task is in its journey.
    application_items: list[Item] = Field(default_factory=list)


class SupervisionAlert(_Wire):
    """Something late, or about to be: a stage of an item past (or near) its due time."""

    alert_id: str
    application_id: str
    task_id: str | None = None
    department: Department | None = None
    items: list[Item] = Field(min_length=1)
    stage: Literal["transfer", "accept", "decide", "paperwork", "assign"]
    due_at: AwareDatetime
    level: int = Field(default=0, ge=0)  # 0: at risk; 1, 2...: each further limit passed
    supervisor: str
    detected_at: AwareDatetime


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
    # Values are only ever added (consumers store them as text).
    kind: Literal["decision", "completion", "materials", "refusal", "referral", "escalation",
                  "warning", "handover"]
    text: str
    sent_at: AwareDatetime
    sealed: str | None = _sealed("recipient, text")


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


class TaskReturnedMessage(Envelope[TaskReturned]):
    EVENT: ClassVar[str] = "task.returned"
    SUBJECT: ClassVar[str] = subjects.TASK_RETURNED


class TaskMaterialsRequestedMessage(Envelope[TaskMaterialsRequested]):
    EVENT: ClassVar[str] = "task.materials_requested"
    SUBJECT: ClassVar[str] = subjects.TASK_MATERIALS_REQUESTED


class TaskMaterialsSupplementedMessage(Envelope[TaskMaterialsSupplemented]):
    EVENT: ClassVar[str] = "task.materials_supplemented"
    SUBJECT: ClassVar[str] = subjects.TASK_MATERIALS_SUPPLEMENTED


class TaskDeadlineExtendedMessage(Envelope[TaskDeadlineExtended]):
    EVENT: ClassVar[str] = "task.deadline_extended"
    SUBJECT: ClassVar[str] = subjects.TASK_DEADLINE_EXTENDED


class TaskPaperworkCompletedMessage(Envelope[TaskPaperworkCompleted]):
    EVENT: ClassVar[str] = "task.paperwork_completed"
    SUBJECT: ClassVar[str] = subjects.TASK_PAPERWORK_COMPLETED


class ApplicationMaterialsRequestedMessage(Envelope[ApplicationMaterialsRequested]):
    EVENT: ClassVar[str] = "application.materials_requested"
    SUBJECT: ClassVar[str] = subjects.APPLICATION_MATERIALS_REQUESTED


class ApplicationRefusedMessage(Envelope[ApplicationRefused]):
    EVENT: ClassVar[str] = "application.refused"
    SUBJECT: ClassVar[str] = subjects.APPLICATION_REFUSED


class ApplicationHandedOverMessage(Envelope[ApplicationHandedOver]):
    EVENT: ClassVar[str] = "application.handed_over"
    SUBJECT: ClassVar[str] = subjects.APPLICATION_HANDED_OVER


class ItemsReferredMessage(Envelope[ItemsReferred]):
    EVENT: ClassVar[str] = "application.items_referred"
    SUBJECT: ClassVar[str] = subjects.ITEMS_REFERRED


class JointMeetingQueuedMessage(Envelope[JointMeetingQueued]):
    EVENT: ClassVar[str] = "joint_meeting.queued"
    SUBJECT: ClassVar[str] = subjects.JOINT_MEETING_QUEUED


class HouseholdStatusConfirmedMessage(Envelope[HouseholdStatusConfirmed]):
    EVENT: ClassVar[str] = "household.status_confirmed"
    SUBJECT: ClassVar[str] = subjects.HOUSEHOLD_STATUS_CONFIRMED


class SupervisionEscalatedMessage(Envelope[SupervisionAlert]):
    EVENT: ClassVar[str] = "supervision.escalated"
    SUBJECT: ClassVar[str] = subjects.SUPERVISION_ESCALATED


class SupervisionWarnedMessage(Envelope[SupervisionAlert]):
    EVENT: ClassVar[str] = "supervision.warned"
    SUBJECT: ClassVar[str] = subjects.SUPERVISION_WARNED
