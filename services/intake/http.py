"""Intake's HTTP entry points: they translate requests and call a handler or a view."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from opentelemetry import trace
from sqlalchemy.exc import IntegrityError

from contracts import DEPARTMENT_NAMES, ITEM_NAMES, Item
from services.accounts.domain import (
    Actor,
    Role,
    may_read_application,
    sees_personal_data_in_full,
)
from services.accounts.http import Authenticator, allow, authenticated, claimed, forbidden
from services.common.audit_trail import about, audited
from services.common.errors import ApiError
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.common.tracing import APPLICATION_ID
from services.intake import examples, handlers, privacy, views
from services.intake.domain import ApplicationStatus
from services.intake.schemas import (
    ApplicationCreate,
    ApplicationPage,
    ApplicationRead,
    DepartmentItemRead,
    DepartmentRead,
    HandoverRequest,
    MaterialsSupplement,
    ViewVersion,
)

NOT_FOUND = ApiError(404, "application_not_found", "No application with this id or receipt number.",
                     "未找到该申请（申请编号或受理编号）。")

Id = Annotated[str, Path(min_length=1, max_length=64)]
Window = Annotated[Actor, Depends(allow(Role.window))]
# Operations staff read too (to follow an application), with personal data masked.
Reader = Annotated[Actor, Depends(allow(Role.window, Role.supervisor, Role.ops))]
READS = [Depends(audited())]  # each call leaves an audit row (services/common/audit_trail.py)


def build_router(runtime: Runtime, policy: Policy, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["window"])

    @router.post("/applications", status_code=201, response_model=ApplicationRead)
    async def submit(
        data: Annotated[ApplicationCreate, Body(openapi_examples=examples.APPLICATION)],
        response: Response, actor: Window,
        idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
    ) -> ApplicationRead:
        """Register an application once, received by the signed-in window account (its
        township's); every department's part is handed on from here."""
        received_by = claimed(actor, received_by=data.received_by)
        for attempt in (1, 2):
            try:
                async with runtime.uow.begin() as tx:
                    app, created = await handlers.submit_application(
                        tx, data, idempotency_key=idempotency_key, policy=policy,
                        received_by=received_by, township=actor.township)
                    application_id = app.id
                    about(application_id=application_id)  # in the row committed with it
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
        if not created:
            return await _read(application_id, actor)
        # Built from what was just written (its own township's), not read back.
        found = views.view_of(app, policy, requests=[], notifications=[], history=app.history)
        return found if sees_personal_data_in_full(actor) else privacy.masked_view(found)

    @router.post("/applications/{application_id}/materials", response_model=ApplicationRead)
    async def supplement(
        application_id: Id, actor: Window,
        data: Annotated[MaterialsSupplement, Body(openapi_examples=examples.MATERIALS)],
    ) -> ApplicationRead:
        """Materials brought after the one-time notice (to a window of the application's
        township); the application moves on when complete."""
        received_by = claimed(actor, received_by=data.received_by)
        await _read(application_id, actor)
        async with runtime.uow.begin() as tx:
            await handlers.supplement_materials(tx, application_id, data, policy,
                                                received_by=received_by)
        return await _read(application_id, actor)

    @router.post("/applications/{application_id}/handover", response_model=ApplicationRead)
    async def handover(
        application_id: Id, actor: Window,
        data: Annotated[HandoverRequest, Body(openapi_examples=examples.HANDOVER)],
    ) -> ApplicationRead:
        """Its owner, signed in, hands the application over to a colleague of the same
        township (recorded); 403 for anyone else."""
        from_staff = claimed(actor, from_staff=data.from_staff)
        found = await _read(application_id, actor)
        if found.owner != from_staff:  # said here before the colleague is looked at
            raise handlers.not_the_owner(found.owner)
        colleague = await authenticator.store.account(data.to_staff)
        if (colleague is None or colleague.disabled or colleague.role != Role.window
                or colleague.township != actor.township):
            raise ApiError(422, "validation_failed", "The request has invalid fields.",
                           "提交的内容有误，请按提示逐项修改。", [{
                               "field": "to_staff",
                               "reason": "not an enabled window account of your township",
                               "reason_zh": "接收人须为本乡镇在用的窗口账号"}])
        async with runtime.uow.begin() as tx:
            await handlers.hand_over(tx, application_id, data, from_staff=from_staff)
        return await _read(application_id, actor)

    @router.get("/applications/{application_id}", response_model=ApplicationRead,
                dependencies=READS)
    async def read(application_id: Annotated[str, Path(
            min_length=1, max_length=64,
            description="the application's id, or its receipt number (YD20261201-ABC234)")],
            actor: Reader) -> ApplicationRead:
        """The combined view: every item with its department, status, decision and due time.
        A window reads its own township's applications; supervisors every one."""
        return await _read(application_id, actor)

    @router.get("/applications/{application_id}/version", response_model=ViewVersion)
    async def version(application_id: Id, actor: Reader) -> ViewVersion:
        """A fingerprint of the combined view that changes when it does (no personal data, so
        no audit row): the screens' live pages ask it every few seconds."""
        found = await _read(application_id, actor)
        return ViewVersion(id=found.id, status=found.status, version=views.version_of(found))

    @router.get("/applications", response_model=ApplicationPage, dependencies=READS)
    async def search(
        actor: Reader,
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
        """Applications matching every filter given, newest first, a page at a time: a
        window's township's only; every one for supervisors (and operations staff, masked,
        who may not search by the applicant's identity number, name or village)."""
        full = sees_personal_data_in_full(actor)
        if not full and (id_number or name or village):
            raise forbidden("operations staff do not search by personal data",
                            "运维人员不能按身份证号、姓名或村（社区）查询")
        async with runtime.db.reading() as session:
            page = await views.list_applications(
                session, status=status, owner=owner, department=department, item=item,
                receipt_no=receipt_no, id_number=id_number, name=name, village=village,
                offset=offset, limit=limit, every_township=actor.role != Role.window,
                township=actor.township)
        if not full:
            page.items = [privacy.masked_summary(a) for a in page.items]
        about(results=len(page.items))
        return page

    @router.get("/departments", response_model=list[DepartmentRead],
                dependencies=[Depends(authenticated())])
    async def departments() -> list[DepartmentRead]:
        """The departments of this region and the items each handles."""
        return [
            DepartmentRead(code=code, name=DEPARTMENT_NAMES[code], items=[
                _department_item(policy, item) for item in dept.items])
            for code, dept in policy.departments.items()
        ]

    async def _read(application_id: str, actor: Actor) -> ApplicationRead:
        async with runtime.db.reading() as session:
            found = await views.get_application(session, application_id, policy)
        if found is None:
            raise NOT_FOUND
        about(application_id=found.id)  # a receipt number may have named it
        if not may_read_application(actor, found.township):
            raise forbidden("this application was received in another township",
                            "该申请不属于本乡镇，无权查看或办理", "other_township")
        return found if sees_personal_data_in_full(actor) else privacy.masked_view(found)

    return router


def _department_item(policy: Policy, item: Item) -> DepartmentItemRead:
    limit = policy.limit_of(item)
    return DepartmentItemRead(
        code=item, name=ITEM_NAMES[item], level=policy.items[item].level,
        limit=limit.model_dump(exclude_none=True), limit_text=limit.describe(),
        required_materials=policy.items[item].materials.required,
        limit_working_days=limit.working_days, limit_hours=limit.hours)
