"""Intake's read side: the combined view of one application, and the filtered list."""

import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from contracts import DEPARTMENT_NAMES, ITEM_NAMES, Department, Item
from services.common.policy import Policy
from services.intake import search
from services.intake.models import (
    Application,
    ApplicationItem,
    HistoryEntry,
    MaterialRequest,
    Notification,
)
from services.intake.schemas import (
    ApplicationPage,
    ApplicationRead,
    ApplicationSummary,
    DecisionRead,
    HistoryRead,
    ItemRead,
    MaterialRequestRead,
    MissingMaterial,
    NotificationRead,
)


async def get_application(session: AsyncSession, application_id: str,
                          policy: Policy) -> ApplicationRead | None:
    """The combined view of the application with this id, or this receipt number."""
    receipt_no = search.as_receipt_no(application_id)
    app = await session.scalar(
        select(Application)
        .where(Application.receipt_no == receipt_no if receipt_no
               else Application.id == application_id)
        .options(selectinload(Application.notifications), selectinload(Application.history))
    )
    if app is None:
        return None
    requests = await session.scalars(select(MaterialRequest).where(
        MaterialRequest.application_id == app.id).order_by(MaterialRequest.requested_at))
    return view_of(app, policy, requests=list(requests), notifications=app.notifications,
                   history=app.history)


def view_of(app: Application, policy: Policy, *, requests: list[MaterialRequest],
            notifications: list[Notification], history: list[HistoryEntry]) -> ApplicationRead:
    """The combined view from rows in hand (a new application's, just written: no read-back)."""
    return ApplicationRead(
        **summary(app).model_dump(),
        applicant=app.applicant,
        household=app.household,
        materials=app.materials,
        description=app.description,
        on_behalf_of=app.on_behalf_of,
        missing_materials=[
            MissingMaterial(code=code, name=policy.materials[code].name
                            if code in policy.materials else code, items=items)
            for code, items in (app.missing_materials or {}).items()],
        material_requests=[MaterialRequestRead.model_validate(r, from_attributes=True)
                           for r in requests],
        notifications=[NotificationRead.model_validate(n, from_attributes=True)
                       for n in notifications],
        history=[HistoryRead.model_validate(h, from_attributes=True) for h in history],
    )


async def list_applications(
    session: AsyncSession, *, status: str | None, department: str | None, item: str | None,
    offset: int, limit: int, owner: str | None = None, receipt_no: str | None = None,
    id_number: str | None = None, name: str | None = None, village: str | None = None,
    every_township: bool = True, township: str | None = None,
) -> ApplicationPage:
    """The applications matching every filter given, newest first: receipt number, identity
    number and name exact (the last two compared as keyed hashes), village the whole name;
    unless ``every_township``, only ``township``'s (None: received by accounts of no
    township)."""
    query = select(Application)
    if not every_township:
        query = query.where(Application.township.is_(None) if township is None
                            else Application.township == township)
    if status:
        query = query.where(Application.status == status)
    if owner:
        query = query.where(Application.owner == owner)
    if receipt_no:
        query = query.where(Application.receipt_no == receipt_no.strip().upper())
    if id_number:
        query = query.where(Application.id_number_key == search.normalise_id_number(id_number))
    if name and name.strip():
        query = query.where(Application.name_key == search.normalise_name(name))
    if village and village.strip():
        query = query.where(Application.village == village.strip())
    if department or item:
        having = select(ApplicationItem.application_id)
        if department:
            having = having.where(ApplicationItem.department == department)
        if item:
            having = having.where(ApplicationItem.item == item)
        query = query.where(Application.id.in_(having))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Application.received_at.desc(), Application.id).offset(offset).limit(limit)
    )
    return ApplicationPage(items=[summary(a) for a in rows], total=total or 0,
                           offset=offset, limit=limit)


def summary(app: Application) -> ApplicationSummary:
    return ApplicationSummary(
        id=app.id,
        receipt_no=app.receipt_no,
        status=app.status,
        outcome=app.outcome,
        channel=app.channel,
        received_by=app.received_by,
        township=app.township,
        received_at=app.received_at,
        completed_at=app.completed_at,
        applicant_name=app.applicant["name"],
        owner=app.owner or app.received_by,
        accepted_at=app.accepted_at,
        items=[_item(i) for i in app.items],
    )


def _item(row: ApplicationItem) -> ItemRead:
    decision = None
    if row.outcome:
        decision = DecisionRead(outcome=row.outcome, amount=row.amount, reason=row.reason,
                                decided_by=row.decided_by, decided_at=row.decided_at)
    return ItemRead(
        item=row.item,
        item_name=ITEM_NAMES[Item(row.item)],
        department=row.department,
        department_name=DEPARTMENT_NAMES[Department(row.department)] if row.department else None,
        task_id=row.task_id,
        status=row.status,
        due_at=row.due_at,
        go_to=row.go_to,
        accepted_by=row.accepted_by,
        accepted_at=row.accepted_at,
        decision=decision,
    )


def version_of(view: ApplicationRead) -> str:
    """A short fingerprint of what a department's or the window's work changes in the view
    (statuses, decisions, due times, owner, counts of history, notices and requests): the
    screens ask it every few seconds to know when to show the page again."""
    seen = [view.status, view.outcome, view.owner, len(view.history), len(view.notifications),
            len(view.material_requests), len(view.missing_materials),
            [[i.item, i.status, i.department, i.due_at, i.accepted_by,
              i.decision.model_dump() if i.decision else None] for i in view.items]]
    return hashlib.sha256(json.dumps(seen, default=str).encode()).hexdigest()[:16]
