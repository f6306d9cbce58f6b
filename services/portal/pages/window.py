"""The window desk's worklist (窗口工作台): the township's applications with their combined
status, searched and filtered through intake's API, late and nearly late ones marked."""

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from contracts import Department, Item
from services.accounts.domain import Role
from services.common.policy import load_policy
from services.common.workdays import Calendar
from services.intake.domain import CLOSED, ApplicationStatus
from services.portal.peers import PeerError
from services.portal.web import Viewer, render, viewer

router = APIRouter(include_in_schema=False)
Desk = Annotated[Viewer, Depends(viewer(Role.window, Role.supervisor))]
Text = Annotated[str | None, Query(max_length=100)]
PAGE_SIZE = 20
FIELDS = ("auto", "receipt_no", "id_number", "name", "village")
OVERDUE, AT_RISK = "overdue", "at_risk"
_RECEIPT = re.compile(r"YD\d{8}-[0-9A-Z]{6}", re.IGNORECASE)
_ID_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")


def deadline_state(due_at: datetime | None, status: str, now: datetime,
                   calendar: Calendar) -> str | None:
    """An open item is overdue once its due time has passed, and at risk when it falls due
    before the end of the next working day; a closed item (decided, referred, refused) or
    one with no due time is neither."""
    if due_at is None or status in CLOSED:
        return None
    if due_at <= now:
        return OVERDUE
    if due_at <= calendar.end_of_working_day_after(now, 1):
        return AT_RISK
    return None


def clock_of(request: Request) -> tuple[datetime, Calendar]:
    """The service's own clock (tests move it) and its region's working-day calendar."""
    runtime = request.app.state.runtime
    return runtime.clock.now(), load_policy(runtime.settings.region).calendar


def mark_items(items: list[dict[str, Any]], now: datetime, calendar: Calendar) -> str | None:
    """Each item's ``deadline`` (as ``deadline_state``); the worst of them."""
    worst = None
    for item in items:
        due = datetime.fromisoformat(item["due_at"]) if item.get("due_at") else None
        item["deadline"] = deadline_state(due, item["status"], now, calendar)
        if item["deadline"] == OVERDUE or (item["deadline"] == AT_RISK and worst is None):
            worst = item["deadline"]
    return worst


def search_field(field: str, q: str) -> str:
    """The API filter a search box value goes to: as chosen, or guessed from its shape."""
    if field != "auto":
        return field
    if _RECEIPT.fullmatch(q):
        return "receipt_no"
    return "id_number" if _ID_NUMBER.fullmatch(q) else "name"


def _known(value: str | None, allowed: Any) -> str:
    return value if value and value in {str(v) for v in allowed} else ""


@router.get("/ui/window", response_class=HTMLResponse)
async def worklist(request: Request, person: Desk, q: Text = None, field: Text = None,
                   status: Text = None, item: Text = None, department: Text = None,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    """The applications of the person's township (every one for supervisors), newest first,
    searched by one field and filtered by status, item and department."""
    q = (q or "").strip()
    chosen = {"field": _known(field, FIELDS) or "auto", "status": _known(status, ApplicationStatus),
              "item": _known(item, Item), "department": _known(department, Department)}
    filters = {k: v for k, v in chosen.items() if k != "field"}
    if q:
        filters[search_field(chosen["field"], q)] = q
    error, page = "", {"items": [], "total": 0, "offset": offset, "limit": PAGE_SIZE}
    try:
        page = await person.get("intake", "/api/v1/applications", offset=offset,
                                limit=PAGE_SIZE, **filters)
    except PeerError as exc:
        if exc.status != 422:
            raise
        error = " ".join([exc.message(person.lang), *exc.field_errors(person.lang).values()])
    now, calendar = clock_of(request)
    rows = [{"app": app, "deadline": mark_items(app["items"], now, calendar),
             "due_at": min((i["due_at"] for i in app["items"]
                            if i.get("due_at") and i["status"] not in CLOSED), default=None)}
            for app in page["items"]]
    kept = {k: v for k, v in {"q": q, **chosen}.items() if v and v != "auto"}

    def at(start: int) -> str:
        return "/ui/window?" + urlencode({**kept, "offset": start})

    total = page["total"]
    paging = {"first": offset + 1 if rows else 0, "last": offset + len(rows), "total": total,
              "previous": at(max(offset - PAGE_SIZE, 0)) if offset > 0 else "",
              "next": at(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else ""}
    return render(request, "window/worklist.html", person, rows=rows, q=q, chosen=chosen,
                  error=error, paging=paging, fields=FIELDS, statuses=list(ApplicationStatus),
                  items=list(Item), departments=list(Department))
