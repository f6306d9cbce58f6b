"""The window desk's worklist (窗口工作台): the township's applications with their combined
status, searched and filtered through intake's API."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from services.accounts.domain import Role
from services.portal.web import Viewer, render, viewer

router = APIRouter(include_in_schema=False)
Desk = Annotated[Viewer, Depends(viewer(Role.window, Role.supervisor))]
Text = Annotated[str | None, Query(max_length=100)]


@router.get("/ui/window", response_class=HTMLResponse)
async def worklist(request: Request, person: Desk, q: Text = None, status: Text = None,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    """The applications of the person's township (every one for supervisors), newest first."""
    page = await person.get("intake", "/api/v1/applications", receipt_no=q, status=status,
                            offset=offset, limit=50)
    return render(request, "window/worklist.html", person, page=page, q=q or "",
                  status=status or "")
