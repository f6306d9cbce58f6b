"""What the ``sealed`` field of an event holds once opened: its personal part, in full.

Wire formats like the events themselves (add fields, never change or remove one)."""

from pydantic import BaseModel, ConfigDict, Field

from contracts.messages import Applicant, Household, OnBehalfOf


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ApplicationPersonal(_Part):
    """Of ApplicationSubmitted, TaskAssigned (the same, passed on) and
    HouseholdStatusConfirmed (no description, no on_behalf_of)."""

    applicant: Applicant
    household: Household
    description: str = Field(default="", max_length=2000)
    on_behalf_of: OnBehalfOf | None = None


class ContactPersonal(_Part):
    """Of ApplicationMaterialsRequested and ApplicationRefused: whom the notice goes to."""

    name: str
    phone: str


class NoticePersonal(_Part):
    """Of NotificationSent: the notice as sent."""

    recipient: str
    text: str
