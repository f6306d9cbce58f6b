"""The window's commands, each in one transaction (state plus outbox): register an
application, supplement its materials, hand it over to a colleague."""

import uuid
from typing import Any

from sqlalchemy import select

from contracts import (
    CHANNEL_NAMES,
    Applicant,
    ApplicationHandedOver,
    ApplicationHandedOverMessage,
    ApplicationPersonal,
    ApplicationSubmitted,
    ApplicationSubmittedMessage,
    Household,
    Item,
    OnBehalfOf,
    TaskMaterialsSupplemented,
    TaskMaterialsSupplementedMessage,
    subjects,
)
from services.common import personal
from services.common.errors import ApiError
from services.common.materials import INVALID_MATERIALS, unknown_materials
from services.common.policy import Policy
from services.common.tracing import tag
from services.common.uow import Transaction
from services.intake import domain, notices
from services.intake.domain import ApplicationStatus, ItemStatus
from services.intake.models import Application, ApplicationItem, HistoryEntry, MaterialRequest
from services.intake.schemas import ApplicationCreate, HandoverRequest, MaterialsSupplement


class IdempotencyConflict(ApiError):
    def __init__(self) -> None:
        super().__init__(
            409, "idempotency_key_reused",
            "This Idempotency-Key was already used for a different application.",
            "该幂等键已用于另一份不同的申请，请勿重复使用。",
        )


async def submit_application(
    tx: Transaction, data: ApplicationCreate, *, idempotency_key: str | None, policy: Policy,
    received_by: str, township: str | None,
) -> tuple[Application, bool]:
    """Register an application received by ``received_by`` of ``township`` (with a receipt,
    whatever its fate) and publish ApplicationRefused for what no policy covers,
    ApplicationMaterialsRequested if materials are missing, else ApplicationSubmitted; a
    retried key returns the first."""
    check_materials(data.materials, policy)
    data = data.model_copy(update={"received_by": received_by})
    request_hash = domain.fingerprint(data.model_dump(mode="json"))
    if idempotency_key:
        existing = await tx.session.scalar(
            select(Application).where(Application.idempotency_key == idempotency_key)
        )
        if existing is not None:
            if existing.request_hash != request_hash:
                raise IdempotencyConflict
            return existing, False

    now = tx.clock.now()
    refused = {i: policy.outside.items.get(i) for i in data.items
               if policy.disposition(i) == "outside"}
    kept = [i for i in data.items if i not in refused]
    missing = policy.missing_materials(kept, data.materials)
    app = Application(
        id=uuid.uuid4().hex, receipt_no=domain.receipt_no(now), idempotency_key=idempotency_key,
        request_hash=request_hash, status=ApplicationStatus.received, channel=data.channel,
        received_by=received_by, owner=received_by, township=township, received_at=now,
        applicant=data.applicant.model_dump(mode="json"),
        household=data.household.model_dump(mode="json"),
        materials=list(dict.fromkeys(data.materials)),
        description=data.description,
        on_behalf_of=data.on_behalf_of.model_dump(mode="json") if data.on_behalf_of else None,
        missing_materials={code: [str(i) for i in items] for code, items in missing.items()},
        items=[], notifications=[], history=[],
    )
    for n, item in enumerate(data.items):
        row = ApplicationItem(item=item, position=n, department=policy.department_of(item),
                              status=ItemStatus.pending, routing_revision=0)
        if item in refused:
            outside = refused[item]
            row.status, row.outcome = ItemStatus.refused, "refused"
            row.reason = outside.reason if outside else policy.outside.reason
            row.go_to = outside.go_to if outside else policy.outside.go_to
            row.decided_by, row.decided_at = received_by, now
        app.items.append(row)
    app.history.append(HistoryEntry(at=now, event="received", actor=received_by,
                                    detail=f"{CHANNEL_NAMES[data.channel]}，回执 {app.receipt_no}"))
    tx.session.add(app)
    if refused:
        notices.refuse(tx, app, [r for r in app.items if r.status == ItemStatus.refused],
                       whole=not kept)
    if not kept:
        app.status = ApplicationStatus.refused
    elif missing:
        app.status = ApplicationStatus.awaiting_materials
        notices.request_materials(tx, app, policy, missing, requested_by="window")
    else:
        app.history.append(_accept(tx, app, kept, now))
    return app, True


async def supplement_materials(tx: Transaction, application_id: str, data: MaterialsSupplement,
                               policy: Policy, *, received_by: str) -> Application:
    """Record materials brought to the window (to ``received_by``); publishes
    ApplicationSubmitted when the last missing one arrives, and TaskMaterialsSupplemented for
    each department request met."""
    check_materials(data.materials, policy)
    app = await _get(tx, application_id)
    now = tx.clock.now()
    brought = list(dict.fromkeys(data.materials))
    app.materials = list(dict.fromkeys([*app.materials, *brought]))
    tx.session.add(HistoryEntry(application_id=app.id, at=now, event="materials_supplemented",
                                actor=received_by, detail="补充材料：" + "、".join(
                                    policy.materials[c].name for c in brought)))
    if app.status == ApplicationStatus.awaiting_materials:
        still = domain.missing_after(app.missing_materials or {}, app.materials)
        app.missing_materials = still
        if not still:
            kept = [Item(r.item) for r in app.items if r.status != ItemStatus.refused]
            app.status = ApplicationStatus.received
            tx.session.add(_accept(tx, app, kept, now))
    requests = await tx.session.scalars(select(MaterialRequest).where(
        MaterialRequest.application_id == app.id, MaterialRequest.supplemented_at.is_(None)))
    for request in requests:
        if set(request.materials) <= set(app.materials):
            request.supplemented_at = now
            tx.publish(
                TaskMaterialsSupplementedMessage,
                TaskMaterialsSupplemented(
                    task_id=request.task_id, application_id=app.id,
                    department=request.department, materials=request.materials,
                    received_by=received_by, supplemented_at=now),
                subject=subjects.for_department(subjects.TASK_MATERIALS_SUPPLEMENTED,
                                                request.department),
                message_id=f"{request.id}:supplemented",
            )
    return app


def check_materials(codes: list[str], policy: Policy) -> None:
    """Refuse (422) every code the region's catalogue does not have, as a department's
    materials request does; before anything is written."""
    unknown = unknown_materials(codes, policy.materials)
    if unknown:
        raise ApiError(422, INVALID_MATERIALS, "some materials are not in this region's catalogue",
                       "部分材料不在本地区材料目录中",
                       [{"field": f, "reason": r, "reason_zh": z} for f, r, z in unknown])


async def hand_over(tx: Transaction, application_id: str, data: HandoverRequest, *,
                    from_staff: str) -> Application:
    """``from_staff``, its owner, hands the application to a colleague (recorded); publishes
    ApplicationHandedOver."""
    app = await _get(tx, application_id)
    owner = app.owner or app.received_by
    if app.status in (ApplicationStatus.completed, ApplicationStatus.refused):
        raise ApiError(409, "application_closed", "The application is closed.",
                       "该申请已办结，无需移交。")
    if from_staff != owner:
        raise not_the_owner(owner)
    if data.to_staff == owner:
        raise ApiError(422, "validation_failed", "The request has invalid fields.",
                       "提交的内容有误，请按提示逐项修改。", [
                           {"field": "to_staff", "reason": "already the owner",
                            "reason_zh": "接收人已是首问责任人"}])
    now = tx.clock.now()
    app.owner = data.to_staff
    entry = HistoryEntry(application_id=app.id, at=now, event="handed_over",
                         actor=from_staff, detail=f"移交给 {data.to_staff}：{data.reason}")
    tx.session.add(entry)
    await tx.session.flush()  # its id names this hand-over's event
    tx.publish(
        ApplicationHandedOverMessage,
        ApplicationHandedOver(application_id=app.id, from_staff=from_staff,
                              to_staff=data.to_staff, reason=data.reason, handed_over_at=now),
        subject=subjects.APPLICATION_HANDED_OVER,
        message_id=f"{app.id}:handed_over:{entry.id}",
    )
    return app


def not_the_owner(owner: str | None) -> ApiError:
    return ApiError(403, "not_the_owner", f"Only its owner ({owner}) can hand it over.",
                    f"只有首问责任人（{owner}）可以移交该申请。")


def _accept(tx: Transaction, app: Application, items: list[Item], now: Any) -> HistoryEntry:
    """Every material is in: accepted (受理), the legal clock starts; on to routing. Returns
    the history line saying so, for the caller to add."""
    app.accepted_at = now
    app.missing_materials = {}
    entry = HistoryEntry(application_id=app.id, at=now, event="accepted", actor=app.owner,
                         detail="材料齐全，正式受理")
    # Routing needs none of the personal part: it goes sealed for the departments and notify.
    masked, sealed = personal.seal_application(tx.bus_key, app.id, ApplicationPersonal(
        applicant=Applicant.model_validate(app.applicant),
        household=Household.model_validate(app.household), description=app.description,
        on_behalf_of=OnBehalfOf.model_validate(app.on_behalf_of) if app.on_behalf_of else None))
    tx.publish(
        ApplicationSubmittedMessage,
        ApplicationSubmitted(
            application_id=app.id, receipt_no=app.receipt_no, channel=app.channel,
            received_by=app.received_by, received_at=app.received_at,
            applicant=masked.applicant, household=masked.household, items=items,
            materials=app.materials, description=masked.description,
            on_behalf_of=masked.on_behalf_of, accepted_at=now, owner=app.owner, sealed=sealed,
        ),
        subject=subjects.APPLICATION_SUBMITTED,
        message_id=f"{app.id}:submitted",
    )
    return entry


async def _get(tx: Transaction, application_id: str) -> Application:
    app = await tx.session.get(Application, application_id, with_for_update=True)
    if app is None:
        raise ApiError(404, "application_not_found", "No application with this id.",
                       "未找到该申请。")
    tag(tx.causing_span, application_id=app.id)
    return app
