"""HTTP schemas of intake: what the window sends and what it reads back."""

import re
from datetime import datetime
from decimal import Decimal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from contracts import Applicant, Channel, Household, HouseholdMember, Item, OnBehalfOf
from services.common.idnumber import InvalidIdNumber, check_resident_id
from services.common.text import FreeLine, FreeText, PersonName, StaffId
from services.common.timefmt import LocalTime
from services.common.workdays import SHANGHAI

_MATERIAL_CODE = re.compile(r"[A-Za-z0-9_]{1,50}")
# Who acts is the signed-in account; the field stays for older clients and must name it.
ACTOR = "the signed-in account's username (optional: taken from the credential)"


def _error(code: str, en: str, zh: str) -> PydanticCustomError:
    return PydanticCustomError(code, en, {"zh": zh})


# The wire models with what a person may type checked: names refuse invisible characters,
# free texts lose control characters (services/common/text.py). Same fields and limits.
class ApplicantIn(Applicant):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: PersonName = Field(min_length=1, max_length=50)
    address: FreeLine = Field(default="", max_length=200)
    village: FreeLine = Field(default="", max_length=100)

    @field_validator("id_number")
    @classmethod
    def _resident_id(cls, value: str) -> str:
        try:
            return check_resident_id(value, datetime.now(SHANGHAI).date())
        except InvalidIdNumber as exc:
            raise _error(exc.code, exc.message, exc.message_zh) from None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        try:
            number = phonenumbers.parse(value, "CN")
        except phonenumbers.NumberParseException:
            number = None
        if (number is None or not phonenumbers.is_valid_number(number)
                or phonenumbers.region_code_for_number(number) != "CN"):
            raise _error("phone_invalid", "not a valid phone number in China",
                         "不是有效的手机号或固定电话号码")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class HouseholdMemberIn(HouseholdMember):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: PersonName = Field(min_length=1, max_length=50)
    relation: FreeLine = Field(default="", max_length=20)
    school: FreeLine = Field(default="", max_length=100)


class HouseholdIn(Household):
    model_config = ConfigDict(extra="forbid", frozen=True)

    members: list[HouseholdMemberIn] = Field(default_factory=list, max_length=30)


class OnBehalfOfIn(OnBehalfOf):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: PersonName = Field(min_length=1, max_length=50)
    role: PersonName = Field(min_length=1, max_length=50)


class ApplicationCreate(BaseModel):
    """A request registered at the window, on any channel."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel
    received_by: StaffId | None = Field(default=None, description=ACTOR)
    applicant: ApplicantIn
    household: HouseholdIn
    items: list[Item] = Field(min_length=1, max_length=len(Item))
    materials: list[str] = Field(
        default_factory=list, max_length=50,
    )
    description: FreeText = Field(default="", max_length=2000)
    on_behalf_of: OnBehalfOfIn | None = None

    @field_validator("items")
    @classmethod
    def _distinct_items(cls, value: list[Item]) -> list[Item]:
        if len(set(value)) != len(value):
            raise _error("items_repeated", "an item is listed more than once", "同一救助事项重复填写")
        return value

    @field_validator("materials")
    @classmethod
    def _material_codes(cls, value: list[str]) -> list[str]:
        # Kept as sent, repeats included: the handler checks each against the region's
        # catalogue at its position (materials.N), then keeps it once.
        for code in value:
            if not _MATERIAL_CODE.fullmatch(code):
                raise _error("material_code", f"not a material code: {code[:50]!r}",
                             "材料代码应为字母、数字或下划线，最长50个字符")
        return value


class MissingMaterial(BaseModel):
    code: str
    name: str
    items: list[str]


class MaterialRequestRead(BaseModel):
    task_id: str
    department: str
    materials: list[str]
    note: str
    requested_at: LocalTime
    supplemented_at: LocalTime | None


class DecisionRead(BaseModel):
    outcome: str
    amount: Decimal | None
    reason: str | None
    decided_by: str | None
    decided_at: LocalTime | None


class ItemRead(BaseModel):
    item: str
    item_name: str
    department: str | None  # None while nobody owns it (joint meeting, referral, refused)
    department_name: str | None
    task_id: str | None
    status: str
    due_at: LocalTime | None
    go_to: str | None = None  # where to go instead (refused), or the organisation (referred)
    accepted_by: str | None
    accepted_at: LocalTime | None
    decision: DecisionRead | None


class NotificationRead(BaseModel):
    channel: str
    recipient: str
    kind: str
    text: str
    sent_at: LocalTime


class HistoryRead(BaseModel):
    at: LocalTime
    event: str
    department: str | None
    actor: str | None
    detail: str


class ApplicationSummary(BaseModel):
    id: str
    receipt_no: str
    status: str
    outcome: str | None
    channel: str
    received_by: str
    township: str | None = None  # the receiving account's: who at the window may see it
    received_at: LocalTime
    completed_at: LocalTime | None
    applicant_name: str
    owner: str | None  # the staff member responsible now (首问负责)
    accepted_at: LocalTime | None  # when every material was in (受理): limits count from here
    items: list[ItemRead]


class ApplicationRead(ApplicationSummary):
    applicant: Applicant
    household: Household
    materials: list[str]
    description: str
    on_behalf_of: OnBehalfOf | None
    missing_materials: list[MissingMaterial]
    material_requests: list[MaterialRequestRead]
    notifications: list[NotificationRead]
    history: list[HistoryRead]


class ViewVersion(BaseModel):
    id: str
    status: str
    version: str  # changes whenever the combined view does


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    total: int
    offset: int
    limit: int


class DepartmentItemRead(BaseModel):
    code: str
    name: str
    level: str
    limit: dict[str, int]
    limit_text: str  # e.g. 20个工作日
    required_materials: list[str]
    # kept for older clients: the limit when it is in working days or hours
    limit_working_days: int | None
    limit_hours: int | None


class DepartmentRead(BaseModel):
    code: str
    name: str
    items: list[DepartmentItemRead]


class MaterialsSupplement(BaseModel):
    """Materials the applicant brought to the window after the one-time notice."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    received_by: StaffId | None = Field(default=None, description=ACTOR)
    materials: list[str] = Field(min_length=1, max_length=50)

    @field_validator("materials")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        return ApplicationCreate._material_codes(value)


class HandoverRequest(BaseModel):
    """The owner hands the application to a colleague, with the reason (首问负责制)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    from_staff: StaffId | None = Field(default=None, description=ACTOR)
    to_staff: StaffId = Field(description="a window account of the same township")
    reason: FreeText = Field(min_length=1, max_length=500)
