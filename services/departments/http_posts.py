"""A department's posts (同岗替代): who holds them, who is away, and saying so."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path

from contracts import Department
from services.accounts.domain import Actor, Role
from services.accounts.http import Authenticator, allow, claimed, forbidden, own_department
from services.common.errors import ApiError
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.common.tracing import DEPARTMENT, request_attributes
from services.departments import examples, posts
from services.departments.http import translated
from services.departments.posts import PostState
from services.departments.schemas import AbsenceRead, AwayRequest, BackRequest, PostRead

PostCode = Annotated[str, Path(min_length=1, max_length=50)]


def build_router(runtime: Runtime, department: Department, policy: Policy,
                 authenticator: Authenticator) -> APIRouter:
    """Reading: the department's staff and supervisors. An absence is approved by a
    supervisor; a holder comes back by themself or a supervisor says so. Holders are accounts
    of this department."""
    router = APIRouter(prefix="/api/v1", tags=[f"department {department}"], dependencies=[
        Depends(request_attributes({DEPARTMENT: str(department)}))])
    Supervisor = Annotated[Actor, Depends(allow(Role.supervisor))]
    StaffOrSupervisor = Annotated[
        Actor, Depends(own_department(str(department), supervisors_write=True))]

    async def check_holder(code: str, holder: str) -> None:
        """A holder of the post must be an account of this department (an unknown post or a
        name holding neither A nor B is refused by the handler, saying so)."""
        found = posts.posts_of(policy, department).get(code)
        if found is None or holder not in (found.a, found.b):
            return
        account = await authenticator.store.account(holder)
        if (account is None or account.disabled or account.role != Role.department
                or account.department != department):
            raise ApiError(422, "validation_failed", "The request has invalid fields.",
                           "提交的内容有误，请按提示逐项修改。", [{
                               "field": "holder",
                               "reason": f"not an enabled account of {department}",
                               "reason_zh": "须为本部门在用的账号"}])

    def read(state: PostState) -> PostRead:
        return PostRead(post=state.code, name=state.post.name, items=list(state.post.items),
                        a=state.post.a, b=state.post.b,
                        away=[AbsenceRead.model_validate(a) for a in state.away],
                        current=state.current)

    async def one(code: str) -> PostRead:
        async with translated(), runtime.db.reading() as session:
            posts.post_of(policy, department, code)
            states = await posts.post_states(session, department, policy, runtime.clock.now())
        return read(next(s for s in states if s.code == code))

    @router.get("/posts", response_model=list[PostRead],
                dependencies=[Depends(own_department(str(department)))])
    async def list_posts() -> list[PostRead]:
        """This department's posts with their A and B holders, who is away, and who takes new
        tasks now."""
        async with runtime.db.reading() as session:
            states = await posts.post_states(session, department, policy, runtime.clock.now())
        return [read(s) for s in states]

    @router.post("/posts/{post}/away", response_model=PostRead)
    async def away(post: PostCode, actor: Supervisor, body: Annotated[
            AwayRequest, Body(openapi_examples=examples.AWAY)]) -> PostRead:
        """A holder is away, approved by the signed-in supervisor (the leader in charge): the
        post's new tasks and their open ones go to the other holder."""
        approved_by = claimed(actor, approved_by=body.approved_by)
        await check_holder(post, body.holder)
        async with translated(), runtime.uow.begin() as tx:
            await posts.mark_away(tx, department, policy, post, holder=body.holder,
                                  approved_by=approved_by, reason=body.reason,
                                  until=body.until)
        return await one(post)

    @router.post("/posts/{post}/back", response_model=PostRead)
    async def back(post: PostCode, actor: StaffOrSupervisor, body: Annotated[
            BackRequest, Body(openapi_examples=examples.BACK)]) -> PostRead:
        """A holder is back (said by themself or a supervisor): new tasks go to them again
        (handed-over ones stay)."""
        if actor.role == Role.department and actor.username != body.holder:
            raise forbidden("only the holder themself, or a supervisor, says they are back",
                            "只能由本人或督办人员登记返岗", "not_the_holder")
        await check_holder(post, body.holder)
        async with translated(), runtime.uow.begin() as tx:
            await posts.mark_back(tx, department, policy, post, holder=body.holder)
        return await one(post)

    return router
