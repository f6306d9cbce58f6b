"""The window inbox (窗口收件箱): the notices notify sent to this staff member, each leading
to its application."""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from services.accounts.domain import Role
from services.portal.peers import PeerError
from services.portal.web import Viewer, render, viewer

router = APIRouter(include_in_schema=False)
Window = Annotated[Viewer, Depends(viewer(Role.window))]
PAGE_SIZE = 20


@router.get("/ui/inbox", response_class=HTMLResponse)
async def inbox(request: Request, person: Window,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    """The person's own window-inbox notices, newest first, a page at a time."""
    page: dict[str, Any] = {"items": [], "total": 0}
    error = ""
    try:
        page = await person.get("notify", "/api/v1/inbox", offset=offset, limit=PAGE_SIZE)
    except PeerError as exc:
        if exc.status in (401, 403):
            raise
        error = exc.message(person.lang)
    total = page["total"]
    paging = {"first": offset + 1 if page["items"] else 0,
              "last": offset + len(page["items"]), "total": total,
              "previous": "/ui/inbox?" + urlencode({"offset": max(offset - PAGE_SIZE, 0)})
              if offset > 0 else "",
              "next": "/ui/inbox?" + urlencode({"offset": offset + PAGE_SIZE})
              if offset + PAGE_SIZE < total else ""}
    return render(request, "inbox.html", person, notices=page["items"], paging=paging,
                  error=error)
