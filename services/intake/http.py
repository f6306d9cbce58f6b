"""Intake's HTTP entry points: they translate requests and call a handler or a view."""

from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Query, Response
from opentelemetry import trace
from sqlalchemy.exc import IntegrityError

from contracts import DEPARTMENT_NAMES, ITEM_NAMES, Item
from services.common.http import ApiError
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.common.tracing import APPLICATION_ID
from services.intake import examples, handlers, views
from services.intake.domain import ApplicationStatus
from services.intake.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    DepartmentItemRead,
    DepartmentRead,
    HandoverRequest,
    MaterialsSupplement,
)

NOT_FOUND = ApiError(404, "application_not_found", "No application with this id or receipt number.",
                     "未找到该申请（申请编号或受理编号）。")

Id = Annotated[str, Path(min_length=1, max_length=64)]


def build_router(runtime: Runtime, policy: Policy) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["window"])

    @router.post("/applications", status_code=201, response_model=ApplicationRead)
    async def submit(
        data: Annotated[ApplicationCreate, Body(openapi_examples=examples.APPLICATION)],
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

    @router.post("/applications/{application_id}/materials", response_model=ApplicationRead)
    async def supplement(
        application_id: Id,
        data: Annotated[MaterialsSupplement, Body(openapi_examples=examples.MATERIALS)],
    ) -> ApplicationRead:
        """Materials brought after the one-time notice; the application moves on when complete."""
        async with runtime.uow.begin() as tx:
            await handlers.supplement_materials(tx, application_id, data, policy)
        return await _read(application_id)

    @router.post("/applications/{application_id}/handover", response_model=ApplicationRead)
    async def handover(
        application_id: Id,
        data: Annotated[HandoverRequest, Body(openapi_examples=examples.HANDOVER)],
    ) -> ApplicationRead:
        """The first receiver hands the application over to a colleague (recorded)."""
        async with runtime.uow.begin() as tx:
            await handlers.hand_over(tx, application_id, data)
        return await _read(application_id)

    @router.get("/applications/{application_id}", response_model=ApplicationRead)
    async def read(application_id: Annotated[str, Path(
            min_length=1, max_length=64,
            description="the application's id, or its receipt number (YD20261201-ABC234)")],
    ) -> ApplicationRead:
        """The combined view: every item with its department, status, decision and due time."""
        return await _read(application_id)

    @router.get("/applications", response_model=ApplicationPage)
    async def search(
        status: ApplicationStatus | None = None,
        owner: Annotated[str | None, Query(max_length=50)] = None,
        department: Annotated[str | None, Query(max_length=40)] = None,
        item: Annotated[str | None, Query(max_length=40)] = None,
        receipt_no: Annotated[str | None, Query(max_length=32, description="exact")] = None,
        id_number: Annotated[str | None, Query(
            max_length=40, description="the applicant's, exact (x or X as the check digit)")] = None,
        name: Annotated[str | None, Query(
            max_length=50, description="the applicant's name, whole (blanks and letter case "
                                        "aside)")] = None,
        village: Annotated[str | None, Query(
            max_length=100, description="the village (or community) as registered, whole")] = None,
        offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> ApplicationPage:
        """Applications matching every filter given, newest first, a page at a time."""
        async with runtime.db.reading() as session:
            return await views.list_applications(
                session, status=status, owner=owner, department=department, item=item,
                receipt_no=receipt_no, id_number=id_number, name=name, village=village,
                offset=offset, limit=limit)

    @router.get("/departments", response_model=list[DepartmentRead])
    async def departments() -> list[DepartmentRead]:
        """The departments of this region and the items each handles."""
        return [
            DepartmentRead(code=code, name=DEPARTMENT_NAMES[code], items=[
                _department_item(policy, item) for item in dept.items])
            for code, dept in policy.departments.items()
        ]

    async def _read(application_id: str) -> ApplicationRead:
        async with runtime.db.reading() as session:
            found = await views.get_application(session, application_id, policy)
        if found is None:
            raise NOT_FOUND
        return found

    return router


def _department_item(policy: Policy, item: Item) -> DepartmentItemRead:
    limit = policy.limit_of(item)
    return DepartmentItemRead(
        code=item, name=ITEM_NAMES[item], level=policy.items[item].level,
        limit=limit.model_dump(exclude_none=True), limit_text=limit.describe(),
        required_materials=policy.items[item].materials.required,
        limit_working_days=limit.working_days, limit_hours=limit.hours)
