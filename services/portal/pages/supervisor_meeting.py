"""The joint meeting's queue (联席会议) on the supervisor board: the open cases routing could
not place, each assigned to a department of the region or referred to an organisation
through routing's joint-meeting API."""

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.accounts.domain import Role
from services.common.policy import load_policy
from services.portal.pages.supervisor import ANSWERED, item_names
from services.portal.peers import PeerError
from services.portal.web import Viewer, form_of, render, see_other, viewer

router = APIRouter(include_in_schema=False)
Board = Annotated[Viewer, Depends(viewer(Role.supervisor))]
CaseId = Annotated[str, Path(min_length=1, max_length=64)]
Text = Annotated[str | None, Query(max_length=200)]
ACTIONS = {"assign": ("department", "note"), "refer": ("organisation", "note")}


def region_departments(request: Request) -> list[str]:
    """The departments of the region (the policy intake and routing both run)."""
    policy = load_policy(request.app.state.runtime.settings.region)
    return [str(d) for d in policy.departments]


async def show_meeting(request: Request, person: Viewer, status_code: int = 200,
                       failed: dict[str, Any] | None = None) -> HTMLResponse:
    """The open cases; ``failed``: the case, action, values and errors of a refused form."""
    cases = await person.get("routing", "/api/v1/joint-meeting", status="open")
    query, now = request.query_params, datetime.now(UTC)
    late = {c["case_id"] for c in cases if datetime.fromisoformat(c["assign_due_at"]) < now}
    return render(request, "supervisor/meeting.html", person, status_code=status_code,
                  cases=cases, departments=region_departments(request),
                  late=late, failed=failed or {},
                  items=lambda codes: item_names(codes, person.lang),
                  done=query.get("done", ""), done_to=query.get("to", ""),
                  done_receipt=query.get("receipt", ""))


@router.get("/ui/supervisor/meeting", response_class=HTMLResponse)
async def meeting(request: Request, person: Board, done: Text = None, to: Text = None,
                  receipt: Text = None) -> HTMLResponse:
    """The joint meeting's open cases, oldest first, with the forms to resolve each."""
    return await show_meeting(request, person)


async def _resolve(request: Request, person: Viewer, case_id: str, action: str) -> Response:
    form = await form_of(request, person)
    values = {name: str(form.get(name) or "").strip() for name in ACTIONS[action]}
    try:
        path = f"/api/v1/joint-meeting/{quote(case_id, safe='')}/{action}"
        case = await person.call("routing", "POST", path, json=values)
    except PeerError as exc:
        if exc.status not in ANSWERED:
            raise
        first = ACTIONS[action][0]
        errors: dict[str, str] = {}
        for field, reason in exc.field_errors(person.lang).items():
            errors.setdefault(field if field in values else first, reason)
        return await show_meeting(request, person, exc.status, {
            "case_id": case_id, "action": action, "values": values, "errors": errors,
            "message": exc.message(person.lang)})
    return see_other("/ui/supervisor/meeting?" + urlencode({
        "done": case["resolution"], "to": case["resolved_to"], "receipt": case["receipt_no"]}))


@router.post("/ui/supervisor/meeting/{case_id}/assign")
async def assign(request: Request, person: Board, case_id: CaseId) -> Response:
    """Assigns the case's items to a department (a new task) as the signed-in supervisor."""
    return await _resolve(request, person, case_id, "assign")


@router.post("/ui/supervisor/meeting/{case_id}/refer")
async def refer(request: Request, person: Board, case_id: CaseId) -> Response:
    """Refers the case's items to a charity or social organisation (转介)."""
    return await _resolve(request, person, case_id, "refer")
