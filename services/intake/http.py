"""Intake's HTTP entry points: they translate requests and call a handler or a view."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from opentelemetry import trace
from sqlalchemy.exc import IntegrityError

from contracts import DEPARTMENT_NAMES, ITEM_NAMES
from services.common.http import ApiError
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.common.tracing import APPLICATION_ID
from services.intake import handlers, views
from services.intake.domain import ApplicationStatus
from services.intake.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    DepartmentItemRead,
    DepartmentRead,
)

NOT_FOUND = ApiError(404, "application_not_found", "No application with this id.", "未找到该申请。")

Id = Annotated[str, Path(min_length=1, max_length=64)]


def build_router(runtime: Runtime, policy: Policy) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["window"])

    @router.post("/applications", status_code=201, response_model=ApplicationRead)
    async def submit(
        data: ApplicationCreate,
        response: Response,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> ApplicationRead:
        """Register an application once; every department's part is handed on from here."""
        for attempt in (1, 2):
            try:
                async with runtime.uow.begin() as tx:
                    app, created = await handlers.submit_application(
                        tx, data, idempotency_key=idempotency_key, policy=policy)
                    application_id = app.id
                break
            except IntegrityError:
                # Two requests with one Idempotency-Key raced: the other committed first, so
                # the second attempt finds it and answers as it did.
                if attempt == 2:
                    raise
        trace.get_current_span().set_attribute(APPLICATION_ID, application_id)
        if not created:
            response.headers["Idempotent-Replayed"] = "true"
        response.headers["Location"] = f"/api/v1/applications/{application_id}"
        return await _read(application_id)

    @router.get("/applications/{application_id}", response_model=ApplicationRead)
    async def read(application_id: Id) -> ApplicationRead:
        """The combined view: every item with its department, status, decision and due time."""
        return await _read(application_id)

    @router.get("/applications", response_model=ApplicationPage)
    async def search(
        status: ApplicationStatus | None = None,
        department: Annotated[str | None, Query(max_length=40)] = None,
        item: Annotated[str | None, Query(max_length=40)] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> ApplicationPage:
        async with runtime.db.reading() as session:
            return await views.list_applications(
                session, status=status, department=department, item=item,
                offset=offset, limit=limit)

    @router.get("/departments", response_model=list[DepartmentRead])
    async def departments() -> list[DepartmentRead]:
        """The departments of this region and the items each handles."""
        return [
            DepartmentRead(code=code, name=DEPARTMENT_NAMES[code], items=[
                DepartmentItemRead(code=item, name=ITEM_NAMES[item],
                                   limit_working_days=policy.items[item].limit_working_days,
                                   limit_hours=policy.items[item].limit_hours)
                for item in dept.items])
            for code, dept in policy.departments.items()
        ]

    async def _read(application_id: str) -> ApplicationRead:
        async with runtime.db.reading() as session:
            found = await views.get_application(session, application_id)
        if found is None:
            raise NOT_FOUND
        return found

    return router
