"""The supervisor board (督办看板): what is overdue now, by department, what was warned and is
near its due time, the alerts raised, and extending a task's time limit — all through
routing's supervision API. The joint meeting and the department figures are tabs of their
own (supervisor_meeting.py, supervisor_figures.py)."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.accounts.domain import Role
from services.portal import format
from services.portal.peers import PeerError
from services.portal.web import Viewer, form_of, render, see_other, viewer

router = APIRouter(include_in_schema=False)
Board = Annotated[Viewer, Depends(viewer(Role.supervisor))]
Text = Annotated[str | None, Query(max_length=100)]
UNITS = ("working_days", "days", "hours")
# The API's fields → the form's: each unit's count is the form's "amount".
FORM_FIELDS = {"working_days": "amount", "days": "amount", "hours": "amount",
               "extend_by": "amount", "task_id": "task_id", "reason": "reason"}
JOINT_MEETING = "joint_meeting"  # the group of stages with no department (assign)
ANSWERED = (404, 409, 422)  # refusals shown on the form itself; others as an error page


def item_names(codes: list[str], lang: str) -> str:
    """Items as people read them, in ``lang``."""
    return ("、" if lang == "zh" else ", ").join(format.item_names(codes, lang))


def by_department(overdue: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The overdue stages grouped by department (the joint meeting's on their own), the
    group with the most first; within one, the longest overdue first (the API's order)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for stage in overdue:
        groups.setdefault(stage["department"] or JOINT_MEETING, []).append(stage)
    return sorted(groups.items(), key=lambda g: (-len(g[1]), g[0]))


def at_risk(alerts: list[dict[str, Any]], overdue: list[dict[str, Any]],
            now: datetime) -> list[dict[str, Any]]:
    """Stages warned (level 0) whose due time has not come: not overdue, not escalated."""
    late = {(o["task_id"] or o["case_id"], o["stage"]) for o in overdue}
    escalated = {(a["subject_id"], a["stage"]) for a in alerts if a["level"] > 0}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for alert in alerts:
        key = (alert["subject_id"], alert["stage"])
        if (alert["level"] == 0 and key not in late and key not in escalated
                and datetime.fromisoformat(alert["due_at"]) > now):
            found.setdefault(key, alert)
    return sorted(found.values(), key=lambda a: a["due_at"])


async def show_board(request: Request, person: Viewer, status_code: int = 200,
                     **form: Any) -> HTMLResponse:
    """The board, with the extension form as given (``form``: values, errors, message)."""
    overdue, alerts = await asyncio.gather(
        person.get("routing", "/api/v1/supervision/overdue"),
        person.get("routing", "/api/v1/supervision/alerts", limit=500))
    query = request.query_params
    values = form.pop("values", None) or {"task_id": query.get("extend", ""),
                                           "unit": "working_days", "amount": "", "reason": ""}
    return render(request, "supervisor/board.html", person, status_code=status_code,
                  groups=by_department(overdue), overdue_count=len(overdue),
                  risky=at_risk(alerts, overdue, datetime.now(UTC)), alerts=alerts[:50],
                  items=lambda codes: item_names(codes, person.lang), units=UNITS,
                  values=values, errors=form.pop("errors", {}), message=form.pop("message", ""),
                  extended=query.get("extended", ""), extended_to=query.get("to", ""))


@router.get("/ui/supervisor", response_class=HTMLResponse)
async def board(request: Request, person: Board, extend: Text = None, extended: Text = None,
                to: Text = None) -> HTMLResponse:
    """Overdue and at-risk stages by department, the alerts, and the extension form."""
    # The query's names are declared above (undeclared ones are refused), read in show_board.
    return await show_board(request, person)


@router.post("/ui/supervisor/extensions")
async def extend(request: Request, person: Board) -> Response:
    """Extends a task's time limit through routing (approved by the signed-in supervisor);
    the API's refusals shown next to the form's fields."""
    form = await form_of(request, person)
    values = {name: str(form.get(name) or "").strip()
              for name in ("task_id", "unit", "amount", "reason")}
    unit = values["unit"] if values["unit"] in UNITS else UNITS[0]
    values["unit"] = unit
    body = {"task_id": values["task_id"], "extend_by": {unit: values["amount"]},
            "reason": values["reason"]}
    try:
        done = await person.call("routing", "POST", "/api/v1/supervision/extensions", json=body)
    except PeerError as exc:
        if exc.status not in ANSWERED:
            raise
        errors: dict[str, str] = {}
        for field, reason in exc.field_errors(person.lang).items():
            errors.setdefault(FORM_FIELDS.get(field, "task_id"), reason)
        return await show_board(request, person, status_code=exc.status, values=values,
                                errors=errors, message=exc.message(person.lang))
    return see_other("/ui/supervisor?" + urlencode({"extended": done["task_id"],
                                                    "to": done["to_due_at"]}))
