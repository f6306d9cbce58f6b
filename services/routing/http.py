"""Routing's HTTP entry points: the transfer ledger (分办、转办台账), per application and by
period (JSON, or CSV for the township's monthly report)."""

from datetime import date
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from contracts import Department
from services.accounts.domain import Actor, Role, sees_personal_data_in_full
from services.accounts.http import allow
from services.common.audit_trail import about, audited
from services.common.errors import ApiError
from services.common.logs import mask
from services.common.runtime import Runtime
from services.common.timefmt import LocalTime
from services.routing import ledger, ledger_csv
from services.routing.ledger import LedgerExport, LedgerLine
from services.routing.models import Handoff

Id = Annotated[str, Path(min_length=1, max_length=64)]


class HandoffRead(BaseModel):
    """A hand-off as routing recorded it (Beijing time): a task, a referral or a joint-meeting
    case (``kind``), with its due times, acceptance, return and result."""

    model_config = ConfigDict(from_attributes=True)

    application_id: str
    receipt_no: str
    task_id: str
    kind: str
    from_party: str
    to_department: str
    to_party: str | None
    items: list[str]
    handed_at: LocalTime
    transfer_due_at: LocalTime | None
    accept_due_at: LocalTime | None
    due_at: LocalTime
    revision: int | None
    routing_note: str | None
    case_id: str | None
    accepted_by: str | None
    accepted_at: LocalTime | None
    result: str | None
    decided_at: LocalTime | None
    returned_by: str | None
    returned_at: LocalTime | None
    returned_reason: str | None
    suggested_department: str | None
    rerouted_to: str | None
    paperwork_due_at: LocalTime | None
    paperwork_completed_at: LocalTime | None


_CSV = {
    200: {
        "description": "The ledger: JSON, or with format=csv a CSV file (UTF-8 with a BOM, "
                       "Chinese headers, Beijing time). Headers X-Ledger-Count, X-Ledger-Limit "
                       "and X-Ledger-Truncated say whether the period was cut at the limit.",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


_reader = allow(Role.supervisor, Role.ops)
Reader = Annotated[Actor, Depends(_reader)]
# Free texts of the ledger: written by staff, they may quote a number (masked for ops).
_TEXTS = ("result_reason", "refusal_reason", "result_note", "returned_reason", "routing_note")


M = TypeVar("M", bound=BaseModel)


def _shown(actor: Actor, model: M) -> M:
    """As ``actor`` may read it: operations staff see identity and phone numbers masked."""
    if sees_personal_data_in_full(actor):
        return model
    return model.model_copy(update={f: mask(v) for f in _TEXTS
                                    if isinstance(v := getattr(model, f, None), str)})


def build_router(runtime: Runtime) -> APIRouter:
    """Supervisors (reports) and operations staff (masked)."""
    router = APIRouter(prefix="/api/v1", tags=["ledger"], dependencies=[Depends(_reader)])
    reads = [Depends(audited())]  # each call leaves an audit row (common/audit_trail.py)

    @router.get("/applications/{application_id}/handoffs", response_model=list[HandoffRead],
                dependencies=reads)
    async def handoffs(application_id: Id, actor: Reader) -> list[HandoffRead]:
        """Every hand-off routing made for the application, oldest first."""
        async with runtime.db.reading() as session:
            rows = await session.scalars(
                select(Handoff).where(Handoff.application_id == application_id)
                .order_by(Handoff.id))
            return [_shown(actor, HandoffRead.model_validate(r)) for r in rows]

    @router.get("/applications/{application_id}/ledger", response_model=list[LedgerLine],
                dependencies=reads)
    async def application_ledger(application_id: Id, actor: Reader) -> list[LedgerLine]:
        """The application's ledger: one line per item — from, to, when, due (transfer,
        acceptance, decision), acceptance, return and where it went next, result (a
        refusal's reason, an approval's note, the amount), late or not, the trace id. Times
        in Beijing time."""
        async with runtime.db.reading() as session:
            rows = (await session.scalars(
                select(Handoff).where(Handoff.application_id == application_id)
                .order_by(Handoff.id))).all()
        return [_shown(actor, line) for line in ledger.lines(rows, runtime.clock.now())]

    @router.get("/ledger", response_model=LedgerExport, responses=_CSV,  # type: ignore[arg-type]
                dependencies=reads)
    async def export(
        actor: Reader,
        start: Annotated[date, Query(alias="from", description="first day (Beijing time)")],
        end: Annotated[date, Query(alias="to", description="last day, included")],
        department: Department | None = None,
        fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
    ) -> Response:
        """The hand-offs made in a period (whole days in Beijing time, both included; at most
        366 days), of one department or all, one line per item, oldest first — at most
        100,000 lines (``truncated`` says the period was cut: ask for a shorter one)."""
        if problems := ledger.period_problems(start, end):
            raise ApiError(422, "validation_failed", "The export period is invalid.",
                           "导出期间有误。", problems)
        limit = ledger.MAX_LINES
        async with runtime.db.reading() as session:
            rows = (await session.scalars(
                ledger.period_query(start, end, department).limit(limit + 1))).all()
        now = runtime.clock.now()
        lines = ledger.lines(rows, now)
        truncated = len(lines) > limit
        lines = [_shown(actor, line) for line in lines[:limit]]
        about(results=len(lines))
        if fmt == "csv":
            return Response(ledger_csv.to_csv(lines), media_type="text/csv; charset=utf-8", headers={
                "Content-Disposition": f"attachment; filename=ledger-{start}-{end}.csv",
                "X-Ledger-Count": str(len(lines)), "X-Ledger-Limit": str(limit),
                "X-Ledger-Truncated": str(truncated).lower()})
        body = LedgerExport(from_=start, to=end, department=department, generated_at=now,
                            count=len(lines), limit=limit, truncated=truncated, lines=lines)
        return Response(body.model_dump_json(by_alias=True), media_type="application/json")

    return router
