"""``GET /api/v1/audit`` of every service: its audit trail, for supervisors. There is no route
that writes, changes or deletes a row: rows are only ever appended as a side effect of the
requests they record (services/common/audit_trail.py)."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query
from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlalchemy import func, or_, select

from services.common.audit import ACTIONS
from services.common.timefmt import LocalTime
from services.common.workdays import SHANGHAI

if TYPE_CHECKING:
    from services.common.runtime import Runtime


class AuditRead(BaseModel):
    """One audit row: who (account, role), what (action, route, HTTP status), which case,
    when (Beijing time), from where (client address, request id), and its place in the hash
    chain."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: LocalTime
    account_id: str | None
    username: str | None
    role: str | None
    action: str
    route: str
    application_id: str | None
    task_id: str | None
    target: str | None
    query: str | None
    results: int | None
    client: str | None
    request_id: str | None
    status: int
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditRead]
    total: int
    offset: int
    limit: int


def _beijing(value: datetime | None) -> datetime | None:
    """A time given without an offset is Beijing time."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=SHANGHAI)
    return value


When = Annotated[datetime | None, AfterValidator(_beijing)]


def build_router(runtime: "Runtime") -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["audit"])
    log = runtime.tables.audit.log

    @router.get("/audit", response_model=AuditPage)
    async def audit(
        application_id: Annotated[str | None, Query(max_length=64)] = None,
        task_id: Annotated[str | None, Query(max_length=64)] = None,
        account: Annotated[str | None, Query(
            max_length=64, description="a username or an account id")] = None,
        action: Annotated[str | None, Query(
            pattern="^(" + "|".join(ACTIONS) + ")$",
            description="read, change, sign_in, lockout or blocked")] = None,
        start: Annotated[When, Query(alias="from", description=(
            "from this time on (ISO 8601; without an offset, Beijing time)"))] = None,
        end: Annotated[When, Query(alias="to", description="before this time")] = None,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> AuditPage:
        """This service's audit rows matching every filter given, newest first, a page at a
        time. Read only: no request can change or remove a row."""
        query = select(log)
        if application_id:
            query = query.where(log.c.application_id == application_id)
        if task_id:
            query = query.where(log.c.task_id == task_id)
        if account:
            query = query.where(or_(log.c.username == account, log.c.account_id == account))
        if action:
            query = query.where(log.c.action == action)
        if start:
            query = query.where(log.c.at >= start)
        if end:
            query = query.where(log.c.at < end)
        async with runtime.db.reading() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = (await session.execute(query.order_by(log.c.id.desc())
                                          .offset(offset).limit(limit))).mappings().all()
        return AuditPage(items=[AuditRead.model_validate(dict(r)) for r in rows],
                         total=total or 0, offset=offset, limit=limit)

    return router
