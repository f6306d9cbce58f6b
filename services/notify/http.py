"""Notify's HTTP entry points: the notices of an application, as sent."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.accounts.domain import Role
from services.accounts.http import allow
from services.common.audit_trail import about, audited
from services.common.runtime import Runtime
from services.common.timefmt import LocalTime
from services.notify.models import NoticeRow

Id = Annotated[str, Path(min_length=1, max_length=64)]


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    application_id: str
    channel: str
    recipient: str
    kind: str
    text: str
    created_at: LocalTime
    sent_at: LocalTime | None


def build_router(runtime: Runtime) -> APIRouter:
    """Supervisors: the notices as sent (the window reads them in intake's combined view)."""
    router = APIRouter(prefix="/api/v1", tags=["notices"],
                       dependencies=[Depends(allow(Role.supervisor))])

    @router.get("/applications/{application_id}/notices", response_model=list[NoticeRead],
                dependencies=[Depends(audited())])
    async def notices(application_id: Id) -> list[NoticeRead]:
        """The application's notices as sent (each call leaves an audit row)."""
        async with runtime.db.reading() as session:
            rows = await session.scalars(select(NoticeRow)
                                         .where(NoticeRow.application_id == application_id)
                                         .order_by(NoticeRow.created_at, NoticeRow.id))
            notices = [NoticeRead.model_validate(r) for r in rows]
        about(results=len(notices))
        return notices

    return router
