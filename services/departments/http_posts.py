"""A department's posts (同岗替代): who holds them, who is away, and saying so."""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path

from contracts import Department
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.common.tracing import DEPARTMENT, request_attributes
from services.departments import examples, posts
from services.departments.http import translated
from services.departments.posts import PostState
from services.departments.schemas import AbsenceRead, AwayRequest, BackRequest, PostRead

PostCode = Annotated[str, Path(min_length=1, max_length=50)]


def build_router(runtime: Runtime, department: Department, policy: Policy) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=[f"department {department}"], dependencies=[
        Depends(request_attributes({DEPARTMENT: str(department)}))])

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

    @router.get("/posts", response_model=list[PostRead])
    async def list_posts() -> list[PostRead]:
        """This department's posts with their A and B holders, who is away, and who takes new
        tasks now."""
        async with runtime.db.reading() as session:
            states = await posts.post_states(session, department, policy, runtime.clock.now())
        return [read(s) for s in states]

    @router.post("/posts/{post}/away", response_model=PostRead)
    async def away(post: PostCode, body: Annotated[
            AwayRequest, Body(openapi_examples=examples.AWAY)]) -> PostRead:
        """A holder is away (approved by the leader in charge): the post's new tasks and their
        open ones go to the other holder."""
        async with translated(), runtime.uow.begin() as tx:
            await posts.mark_away(tx, department, policy, post, holder=body.holder,
                                  approved_by=body.approved_by, reason=body.reason,
                                  until=body.until)
        return await one(post)

    @router.post("/posts/{post}/back", response_model=PostRead)
    async def back(post: PostCode, body: Annotated[
            BackRequest, Body(openapi_examples=examples.BACK)]) -> PostRead:
        """A holder is back: new tasks go to them again (handed-over ones stay)."""
        async with translated(), runtime.uow.begin() as tx:
            await posts.mark_back(tx, department, policy, post, holder=body.holder)
        return await one(post)

    return router
