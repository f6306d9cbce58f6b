"""The applicant's own progress check (办理进度查询), open to anyone, no account: a receipt
number and the last four characters of the applicant's identity number give where each part of
the application stands, what was decided and why, and what to do next.

It leaks nothing: a wrong receipt number and wrong last four get the same 404; the answer names
no one (no identity number, phone, address, income or amount: the reasons have their numbers
and the household's names masked). The identity number is sealed at rest: it is opened here,
in the service, and its last four compared in constant time. Each miss counts against the
client address (``CHECKS``, in the identity store's rate limits, shared by every process);
every lookup leaves an audit row (a read of personal data, with the case when found)."""

import hmac
import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import select

from contracts import DEPARTMENT_NAMES, Department
from services.accounts.http import public
from services.common import audit_trail
from services.common.errors import ApiError
from services.common.masking import mask_text
from services.common.policy import Policy
from services.common.ratelimit import Attempt, Rule, per_address, too_many
from services.common.runtime import Runtime
from services.common.timefmt import LocalTime
from services.intake import search, views
from services.intake.models import Application, MaterialRequest

CHECKS = Rule("status-check", attempts=10, window=timedelta(minutes=15),
              lock=timedelta(minutes=15))
NOT_FOUND = ApiError(404, "status_not_found",
                     "No application matches this receipt number and these last four characters.",
                     "未找到与该受理编号和身份证号码后四位相符的申请，请核对后重试。")
_NUMBER = re.compile(r"\d+(?:[.,，]\d+)*")  # amounts, incomes, any figure in a reason
_DUMMY = "0000"  # compared with when no application has the receipt number
EXAMPLES = {"check": {"summary": "the receipt number and the identity number's last four",
                      "value": {"receipt_no": "YD20261201-ABC234", "id_last4": "123X"}}}


class StatusQuery(BaseModel):
    """What the applicant types: the receipt number and the last four characters of the
    applicant's identity number (x or X as the check digit)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    receipt_no: str = Field(min_length=1, max_length=32)
    id_last4: str = Field(min_length=1, max_length=8)

    @field_validator("id_last4")
    @classmethod
    def _four(cls, value: str) -> str:
        if not re.fullmatch(r"\d{3}[\dXx]", value):
            raise PydanticCustomError("id_last4", "four characters: three digits, then a digit "
                                      "or X", {"zh": "请填写身份证号码最后四位（最后一位可能是 X）"})
        return value.upper()


class StatusDecision(BaseModel):
    outcome: str  # approved, rejected, referred, refused
    reason: str | None  # its numbers and the household's names masked
    decided_at: LocalTime | None


class StatusItem(BaseModel):
    item: str
    item_name: str
    department: str | None
    department_name: str | None
    status: str
    due_at: LocalTime | None
    go_to: str | None  # where to go instead (refused), or the organisation (referred)
    decision: StatusDecision | None


class StatusMaterial(BaseModel):
    code: str
    name: str


class StatusRead(BaseModel):
    """Where the application stands, as its applicant may read it."""

    receipt_no: str
    status: str
    outcome: str | None
    received_at: LocalTime
    accepted_at: LocalTime | None
    completed_at: LocalTime | None
    window: str = Field(description="where to go: the township's social assistance window")
    missing_materials: list[StatusMaterial]
    next_steps: list[str] = Field(description="bring_materials, ask_review, go_elsewhere, "
                                              "referred, wait or done")
    items: list[StatusItem]


def build_router(runtime: Runtime, policy: Policy) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["applicant"])

    @router.post("/status", response_model=StatusRead, responses={
        404: {"description": "No such receipt number, or not these last four (one answer)"},
        429: {"description": "Too many misses from this address: wait Retry-After seconds"}},
        dependencies=[Depends(public()), Depends(audit_trail.audited())])
    async def status(query: Annotated[StatusQuery, Body(openapi_examples=EXAMPLES)],
                     attempt: Annotated[Attempt, Depends(per_address(CHECKS))]) -> StatusRead:
        """The applicant's progress check (no account): a POST, so that the identity digits
        stay out of URLs and logs; 404 alike for a wrong receipt number or last four."""
        receipt_no = search.as_receipt_no(query.receipt_no)
        async with runtime.db.reading() as session:
            app = await session.scalar(select(Application).where(
                Application.receipt_no == receipt_no)) if receipt_no else None
            # Opened here only (sealed at rest); compared whether found or not.
            last4 = search.normalise_id_number(app.applicant.get("id_number", ""))[-4:] \
                if app is not None else _DUMMY
            matches = hmac.compare_digest(last4.encode(), query.id_last4.encode())
            if app is None or not matches:
                await _missed(attempt)
                raise NOT_FOUND
            requests = list(await session.scalars(select(MaterialRequest).where(
                MaterialRequest.application_id == app.id,
                MaterialRequest.supplemented_at.is_(None))))
            audit_trail.about(application_id=app.id)
            return status_of(app, requests, policy)

    return router


async def _missed(attempt: Attempt) -> None:
    """Count a miss of the client address; 429 (and an audit row) once that locks it."""
    until, locked_now = await attempt.limiter.failed(attempt.rule, attempt.key)
    if locked_now:
        audit_trail.note("lockout")
    if until is not None:
        raise too_many(until, attempt.limiter.clock.now())


def status_of(app: Application, requests: list[MaterialRequest], policy: Policy) -> StatusRead:
    """The applicant's view of ``app`` (with the departments' open requests for materials)."""
    summary = views.summary(app)
    names = [app.applicant.get("name", ""), *(m.get("name", "") for m in
                                               app.household.get("members", []))]
    items = [StatusItem(
        item=i.item, item_name=i.item_name, department=i.department,
        department_name=i.department_name, status=i.status, due_at=i.due_at, go_to=i.go_to,
        decision=StatusDecision(outcome=i.decision.outcome, decided_at=i.decision.decided_at,
                                reason=_reason(i.decision.reason, names))
        if i.decision else None) for i in summary.items]
    wanted = [*(app.missing_materials or {}), *(c for r in requests for c in r.materials)]
    missing = [StatusMaterial(code=code, name=policy.materials[code].name
                              if code in policy.materials else code)
               for code in dict.fromkeys(wanted)]
    return StatusRead(
        receipt_no=app.receipt_no, status=app.status, outcome=app.outcome,
        received_at=app.received_at, accepted_at=app.accepted_at,
        completed_at=app.completed_at, window=window_of(app.township),
        missing_materials=missing, next_steps=next_steps(items, bool(missing)),
        items=items)


def window_of(township: str | None) -> str:
    """Where the applicant goes: the window of the township that received the application."""
    return (township or "") + DEPARTMENT_NAMES[Department.window].removeprefix(
        "乡镇" if township else "")


def next_steps(items: list[StatusItem], missing: bool) -> list[str]:
    """What the applicant can do now, most pressing first (codes the page words)."""
    outcomes = {i.decision.outcome for i in items if i.decision}
    steps = ["bring_materials"] if missing else []
    steps += [step for outcome, step in (("rejected", "ask_review"), ("refused", "go_elsewhere"),
                                         ("referred", "referred")) if outcome in outcomes]
    if not missing:  # with materials missing, nothing moves until they are in
        steps.append("wait" if any(i.decision is None for i in items) else "done")
    return steps


def _reason(text: str | None, names: list[Any]) -> str | None:
    """A reason as the applicant's page shows it: no figure (an income, an amount), no name
    of the household, no identity or phone number."""
    if not text:
        return text
    return _NUMBER.sub("*", mask_text(text, [n for n in names if isinstance(n, str)]))
