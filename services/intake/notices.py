"""The events by which the window tells the applicant something in writing (notify sends
them): the one-time notice of missing materials, and a refusal at the door."""

from collections.abc import Mapping, Sequence

from contracts import (
    ApplicationMaterialsRequested,
    ApplicationMaterialsRequestedMessage,
    ApplicationRefused,
    ApplicationRefusedMessage,
    Contact,
    Item,
    MaterialNeed,
    RefusedItem,
    subjects,
)
from services.common import personal
from services.common.policy import Policy
from services.common.uow import Transaction
from services.intake.models import Application, ApplicationItem


def contact(tx: Transaction, app: Application) -> tuple[Contact, str]:
    """Whom notify must tell: masked in clear, and sealed for notify (name and phone)."""
    return personal.seal_contact(tx.bus_key, app.id, Contact(
        receipt_no=app.receipt_no, name=app.applicant["name"], phone=app.applicant["phone"],
        window_staff=app.owner or app.received_by))


def request_materials(tx: Transaction, app: Application, policy: Policy,
                      missing: Mapping[str, Sequence[Item | str]], *, requested_by: str,
                      task_id: str | None = None, note: str = "",
                      message_id: str | None = None) -> None:
    """Publishes ApplicationMaterialsRequested: everything missing, in one notice."""
    needs = [MaterialNeed(code=code, name=policy.materials[code].name if code in policy.materials
                          else code, items=[Item(i) for i in items])
             for code, items in missing.items()]
    masked, sealed = contact(tx, app)
    tx.publish(
        ApplicationMaterialsRequestedMessage,
        ApplicationMaterialsRequested(application_id=app.id, contact=masked, missing=needs,
                                      requested_by=requested_by, task_id=task_id, note=note,
                                      requested_at=tx.clock.now(), sealed=sealed),
        subject=subjects.APPLICATION_MATERIALS_REQUESTED,
        message_id=message_id or f"{app.id}:materials_requested",
    )


def refuse(tx: Transaction, app: Application, rows: list[ApplicationItem], *, whole: bool) -> None:
    """Publishes ApplicationRefused: the written reason and where to go, for each item."""
    masked, sealed = contact(tx, app)
    tx.publish(
        ApplicationRefusedMessage,
        ApplicationRefused(
            application_id=app.id, contact=masked,
            items=[RefusedItem(item=Item(r.item), reason=r.reason or "", go_to=r.go_to or "")
                   for r in rows],
            whole=whole, refused_by=app.received_by, refused_at=tx.clock.now(), sealed=sealed),
        subject=subjects.APPLICATION_REFUSED,
        message_id=f"{app.id}:refused",
    )
