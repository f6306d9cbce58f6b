"""On the bus, only what the receiver needs: the personal part of an event sealed for the
holders of the bus key (intake, the departments, notify), the clear fields masked.

Routing receives ApplicationSubmitted and hands its items on in TaskAssigned, but needs no
personal data: it passes ``sealed`` on as it came. Whoever holds the key opens it; an event
without it (older ones in the stream, or published by hand) is read in clear as before. The
seal is bound to the application's id, so it cannot be moved to another application's event.
"""

import json
from decimal import Decimal
from typing import TypeVar

from pydantic import BaseModel

from contracts import (
    Applicant,
    ApplicationPersonal,
    Contact,
    ContactPersonal,
    Household,
    NoticePersonal,
    OnBehalfOf,
)
from services.common.crypto import KeyProblem, Keyring
from services.common.masking import mask_id_number, mask_name, mask_phone, mask_text

P = TypeVar("P", bound=BaseModel)


def seal(bus_key: Keyring | None, application_id: str, part: BaseModel) -> str:
    """``part`` sealed for the holders of the bus key, bound to ``application_id``."""
    return _key(bus_key).seal(part.model_dump_json().encode("utf-8"), _aad(application_id))


def unseal(bus_key: Keyring | None, application_id: str, sealed: str, model: type[P]) -> P:
    """The part ``sealed`` holds (``KeyProblem`` if it does not open here)."""
    opened = _key(bus_key).open(sealed, _aad(application_id))
    return model.model_validate(json.loads(opened))


def _key(bus_key: Keyring | None) -> Keyring:
    if bus_key is None:
        raise KeyProblem("this service holds no bus key, and must not read personal data")
    return bus_key


def _aad(application_id: str) -> bytes:
    return f"onedoor bus\0{application_id}".encode()


def masked_application(part: ApplicationPersonal) -> ApplicationPersonal:
    """What the clear fields carry beside the sealed part: nothing that names the applicant
    (village, household size and residence stay: routing and reports may group by them)."""
    a, h = part.applicant, part.household
    return ApplicationPersonal(
        applicant=Applicant(name=mask_name(a.name) or "*", id_number=mask_id_number(a.id_number),
                            phone=mask_phone(a.phone), address="", village=a.village),
        household=Household(size=h.size, residence=h.residence,
                            monthly_income_per_capita=Decimal("0"), members=[]),
        description="",
        on_behalf_of=OnBehalfOf(name=mask_name(part.on_behalf_of.name) or "*",
                                role=part.on_behalf_of.role) if part.on_behalf_of else None)


def seal_application(bus_key: Keyring | None, application_id: str,
                     part: ApplicationPersonal) -> tuple[ApplicationPersonal, str]:
    """The masked clear part and the sealed one, for an event about the application."""
    return masked_application(part), seal(bus_key, application_id, part)


def open_application(bus_key: Keyring | None, application_id: str, sealed: str | None,
                     clear: ApplicationPersonal) -> ApplicationPersonal:
    """The application's personal part: the sealed one if the event has it, else the clear."""
    if sealed is None:
        return clear
    return unseal(bus_key, application_id, sealed, ApplicationPersonal)


def seal_contact(bus_key: Keyring | None, application_id: str,
                 contact: Contact) -> tuple[Contact, str]:
    masked = contact.model_copy(update={"name": mask_name(contact.name),
                                        "phone": mask_phone(contact.phone)})
    sealed = seal(bus_key, application_id, ContactPersonal(name=contact.name, phone=contact.phone))
    return masked, sealed


def open_contact(bus_key: Keyring | None, application_id: str, sealed: str | None,
                 contact: Contact) -> Contact:
    if sealed is None:
        return contact
    part = unseal(bus_key, application_id, sealed, ContactPersonal)
    return contact.model_copy(update={"name": part.name, "phone": part.phone})


def seal_notice(bus_key: Keyring | None, application_id: str, recipient: str, text: str,
                names: list[str]) -> tuple[str, str, str]:
    """The recipient and text masked (numbers, and ``names`` in the text), and sealed whole."""
    sealed = seal(bus_key, application_id, NoticePersonal(recipient=recipient, text=text))
    return mask_text(recipient), mask_text(text, names), sealed


def open_notice(bus_key: Keyring | None, application_id: str, sealed: str | None,
                recipient: str, text: str) -> tuple[str, str]:
    if sealed is None:
        return recipient, text
    part = unseal(bus_key, application_id, sealed, NoticePersonal)
    return part.recipient, part.text
