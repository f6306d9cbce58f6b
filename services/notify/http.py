"""Notify's HTTP entry points: the notices of an application, as sent; a window's inbox."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.accounts.domain import Actor, Role
from services.accounts.http import allow
from services.common.audit_trail import about, audited
from services.common.runtime import Runtime
from services.common.timefmt import LocalTime
from services.notify.models import NoticeRow

Id = Annotated[str, Path(min_length=1, max_length=64)]
WINDOW_INBOX = "window_inbox"


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


class InboxPage(BaseModel):
    items: list[NoticeRead]
    total: int
    offset: int
    limit: int


def build_router(runtime: Runtime) -> APIRouter:
    """Supervisors: the notices as sent (the window reads them in intake's combined view);
    a window account: its own inbox."""
    router = APIRouter(prefix="/api/v1", tags=["notices"])

    @router.get("/applications/{application_id}/notices", response_model=list[NoticeRead],
                dependencies=[Depends(allow(Role.supervisor)), Depends(audited())])
    async def notices(application_id: Id) -> list[NoticeRead]:
        """The application's notices as sent (each call leaves an audit row)."""
        async with runtime.db.reading() as session:
            rows = await session.scalars(select(NoticeRow)
                                         .where(NoticeRow.application_id == application_id)
                                         .order_by(NoticeRow.created_at, NoticeRow.id))
            notices = [NoticeRead.model_validate(r) for r in rows]
        about(results=len(notices))
        return notices

    @router.get("/inbox", response_model=InboxPage, dependencies=[Depends(audited())])
    async def inbox(actor: Annotated[Actor, Depends(allow(Role.window))],
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                    limit: Annotated[int, Query(ge=1, le=200)] = 50) -> InboxPage:
        """The notices sent to the caller's own window inbox, newest first, a page at a time."""
        sent = (NoticeRow.channel == WINDOW_INBOX, NoticeRow.sent_at.is_not(None))
        async with runtime.db.reading() as session:
            # The recipient is stored encrypted (no SQL filter can match it): each inbox
            # notice's recipient alone is opened, then only the page's rows are read whole.
            heads = await session.execute(
                select(NoticeRow.id, NoticeRow.recipient).where(*sent)
                .order_by(NoticeRow.created_at.desc(), NoticeRow.id.desc()))
            mine = [notice_id for notice_id, recipient in heads if recipient == actor.username]
            wanted = mine[offset:offset + limit]
            rows = {r.id: r for r in await session.scalars(
                select(NoticeRow).where(NoticeRow.id.in_(wanted)))} if wanted else {}
            items = [NoticeRead.model_validate(rows[i]) for i in wanted if i in rows]
        about(results=len(items))
        return InboxPage(items=items, total=len(mine), offset=offset, limit=limit)

    return router
