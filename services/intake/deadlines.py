"""When is it due? ``GET /api/v1/deadlines`` for window staff, and the same answer for
``onedoor deadline``: the region's limit for an item and stage, counted as the law counts it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from fastapi import APIRouter, Query
from pydantic import BaseModel

from contracts import ITEM_NAMES, Item
from services.common.errors import ERROR_RESPONSES, ApiError
from services.common.limits import Limit
from services.common.policy import Policy
from services.common.timefmt import LocalTime
from services.common.workdays import SHANGHAI

Stage = Literal["decide", "transfer", "accept"]
STAGES: tuple[str, ...] = get_args(Stage)
STAGE_NAMES: dict[str, str] = {"decide": "办结", "transfer": "转办", "accept": "接收"}


class DeadlineError(ValueError):
    """A question that cannot be answered: ``field`` names the part at fault."""

    def __init__(self, field: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.field, self.message_zh = field, message_zh


@dataclass(frozen=True)
class Deadline:
    region: str
    item: Item
    stage: str
    received_at: datetime
    due_at: datetime
    limit: Limit
    calendar: Literal["official", "fallback"]

    @property
    def limit_text(self) -> str:
        """E.g. ``20个工作日，受理当日不计`` (001 第十条) or ``24小时，自受理时起算``."""
        start = "转办" if self.stage == "accept" else "受理"
        if self.limit.unit in ("days", "working_days"):
            return f"{self.limit.describe()}，{start}当日不计"
        return f"{self.limit.describe()}，自{start}时起算"

    def explain(self) -> str:
        """One line in Chinese for staff: what limit, from when, until when."""
        received = self.received_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
        due = self.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
        action = STAGE_NAMES[self.stage]
        started = "转办" if self.stage == "accept" else "受理"
        return (f"{ITEM_NAMES[self.item]}：{action}时限{self.limit_text}；{received} {started}，"
                f"须于 {due}（北京时间）前{action}")


def parse_received(text: str) -> datetime:
    """An ISO date-time; without an offset it is Shanghai time (a ``ValueError`` otherwise)."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        # A "+08:00" typed into a URL arrives as " 08:00".
        head, _, tail = text.rpartition(" ")
        if not head:
            raise
        value = datetime.fromisoformat(f"{head}+{tail}")
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


def check_stage(stage: str) -> str:
    if stage not in STAGES:
        raise DeadlineError("stage", f"stage must be one of {', '.join(STAGES)}",
                            f"阶段应为{'、'.join(STAGE_NAMES[s] for s in STAGES)}之一")
    return stage


def check_item(policy: Policy, item: str) -> Item:
    """``item`` as a code this region handles (a refusal says where to go instead)."""
    try:
        code = Item(item)
    except ValueError:
        raise DeadlineError("item", f"unknown item {item!r}", "未知的救助事项") from None
    if code not in policy.items:
        outside = policy.outside.items.get(code)
        where = outside.go_to if outside else policy.outside.go_to
        raise DeadlineError("item", f"item {code} is not handled in region {policy.region}",
                            f"{policy.name}不受理“{ITEM_NAMES[code]}”：{where}")
    return code


def compute(policy: Policy, item: str, received_at: datetime, stage: str = "decide") -> Deadline:
    """The due time of ``item`` at ``stage`` in ``policy``'s region (``DeadlineError`` if none)."""
    check_stage(stage)
    code = check_item(policy, item)
    if stage == "decide":
        limit = policy.limit_of(code)
    elif stage == "transfer":
        limit = policy.levels[policy.items[code].level].transfer
    else:
        limit = policy.supervision.accept
    try:
        due = limit.due_at(received_at, policy.calendar)
    except OverflowError:
        raise DeadlineError("received_at", "the due time is out of range",
                            "日期超出可计算范围") from None
    years = range(received_at.astimezone(SHANGHAI).year, due.astimezone(SHANGHAI).year + 1)
    # Only working days depend on the holiday schedule; hours and calendar days never do.
    fallback = limit.working_days is not None and not all(policy.calendar.covers(y) for y in years)
    return Deadline(policy.region, code, stage, received_at, due, limit,
                    "fallback" if fallback else "official")


class DeadlineRead(BaseModel):
    item: Item
    item_name: str
    stage: Stage
    received_at: LocalTime
    due_at: LocalTime
    limit: dict[str, int]  # e.g. {"working_days": 20}
    limit_text: str  # e.g. "20个工作日，受理当日不计"
    calendar: Literal["official", "fallback"]  # fallback: a year chinesecalendar does not know
    region: str


def to_read(deadline: Deadline) -> DeadlineRead:
    return DeadlineRead(
        item=deadline.item, item_name=ITEM_NAMES[deadline.item], stage=deadline.stage,
        received_at=deadline.received_at, due_at=deadline.due_at,
        limit=deadline.limit.model_dump(exclude_none=True), limit_text=deadline.limit_text,
        calendar=deadline.calendar, region=deadline.region)


def check_received(text: str) -> datetime:
    try:
        return parse_received(text)
    except ValueError:
        raise DeadlineError("received_at", "not an ISO 8601 date-time",
                            "日期时间格式不正确（例：2025-09-30 17:00，北京时间）") from None


def _invalid(errors: list[DeadlineError]) -> ApiError:
    return ApiError(422, "validation_failed", "The request has invalid fields.",
                    "提交的内容有误，请按提示逐项修改。",
                    [{"field": e.field, "reason": str(e), "reason_zh": e.message_zh} for e in errors])


def build_router(policy: Policy) -> APIRouter:
    """``GET /api/v1/deadlines``: the due time of an item received at a given time."""
    router = APIRouter(prefix="/api/v1", tags=["deadlines"])

    @router.get("/deadlines", response_model=DeadlineRead, responses=ERROR_RESPONSES)
    async def deadline(
        item: str = Query(description="item code, e.g. dibao"),
        received_at: str = Query(description="ISO date-time; without an offset, Shanghai time"),
        stage: str = Query("decide", description="decide, transfer or accept"),
    ) -> DeadlineRead:
        """When ``item``, received (or handed over) at ``received_at``, is due in this region."""
        errors: list[DeadlineError] = []
        # Every bad field at once, as every other 422 of the API does.
        for check in (lambda: check_item(policy, item), lambda: check_received(received_at),
                      lambda: check_stage(stage)):
            try:
                check()
            except DeadlineError as exc:
                errors.append(exc)
        if errors:
            raise _invalid(errors)
        try:
            return to_read(compute(policy, item, check_received(received_at), stage))
        except DeadlineError as exc:
            raise _invalid([exc]) from None

    return router
