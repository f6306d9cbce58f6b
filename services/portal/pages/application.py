"""An application as the window desk follows it (申请详情): each department's part, what is
missing, the notices and the whole history, kept live by server-sent events; materials brought
later and the hand-over to a colleague, as forms."""

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from services.accounts.domain import Role
from services.portal.pages.window import clock_of, mark_items
from services.portal.peers import PeerError
from services.portal.web import Viewer, form_of, render, see_other, viewer

router = APIRouter(include_in_schema=False)
Desk = Annotated[Viewer, Depends(viewer(Role.window, Role.supervisor))]
Window = Annotated[Viewer, Depends(viewer(Role.window))]
AppId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]
POLL_SECONDS, KEEP_ALIVE_SECONDS = 2.0, 15.0
DONE = ("materials", "handover")


async def _version(person: Viewer, application_id: str) -> dict[str, Any]:
    """The view's fingerprint (intake answers it without reading personal data out, so the
    poll leaves no audit row)."""
    return await person.get("intake", f"/api/v1/applications/{application_id}/version")


async def _read(person: Viewer, application_id: str) -> dict[str, Any]:
    return await person.get("intake", f"/api/v1/applications/{application_id}")


async def _context(request: Request, person: Viewer, application_id: str) -> dict[str, Any]:
    """What the page (or its parts) shows: the combined view, material names, and for
    supervisors routing's hand-off ledger."""
    app, seen = await asyncio.gather(_read(person, application_id),
                                     _version(person, application_id))
    now, calendar = clock_of(request)
    mark_items(app["items"], now, calendar)
    materials = {m["code"]: m["name"] for m in await person.get("intake", "/api/v1/materials")}
    handoffs: list[dict[str, Any]] = []
    if person.actor.role == Role.supervisor:
        with contextlib.suppress(PeerError):  # the ledger is extra; the page stands without it
            handoffs = await person.get("routing", f"/api/v1/applications/{app['id']}/handoffs")
    asked = [c for r in app["material_requests"] if not r["supplemented_at"]
             for c in r["materials"] if c not in app["materials"]]
    outstanding = list(dict.fromkeys([m["code"] for m in app["missing_materials"]] + asked))
    return {"app": app, "materials": materials, "handoffs": handoffs, "version": seen["version"],
            "outstanding": outstanding, "label": _labeller(person)}


def _labeller(person: Viewer) -> Callable[[str, str | None], str]:
    def label(family: str, code: str | None) -> str:
        """A code's name in the person's language; the code itself if it has none."""
        if not code:
            return ""
        name = person.t(f"{family}.{code}")
        return code if name == f"{family}.{code}" else name

    return label


async def _page(request: Request, person: Viewer, application_id: str, status_code: int = 200,
                **extra: Any) -> HTMLResponse:
    context = await _context(request, person, application_id)
    defaults = {"done": "", "errors": {}, "failed": "", "form": "", "given": {}}
    return render(request, "window/application.html", person, status_code=status_code,
                  **(defaults | context | extra))


@router.get("/ui/applications/{application_id}", response_class=HTMLResponse)
async def application(request: Request, application_id: AppId, person: Desk,
                      part: Annotated[str | None, Query(pattern="^parts$")] = None,
                      done: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    """The application page; ``part=parts``: only its live section (what live.js swaps in)."""
    if part:
        context = await _context(request, person, application_id)
        return render(request, "window/application_parts.html", person, **context)
    return await _page(request, person, application_id, done=done if done in DONE else "")


@router.get("/ui/applications/{application_id}/events")
async def events(request: Request, application_id: AppId, person: Desk,
                 v: Annotated[str | None, Query(max_length=64)] = None,
                 last_event_id: Annotated[str | None, Header(max_length=64)] = None
                 ) -> StreamingResponse:
    """Server-sent events: ``changed`` each time the application changes, checked as the person
    every ~2 s while the page is open; a comment every ~15 s keeps the connection."""
    first = await _version(person, application_id)  # refused or unknown: an error, no stream

    async def stream() -> AsyncIterator[str]:
        seen, now, quiet = last_event_id or v or first["version"], first, 0.0
        yield "retry: 5000\n\n"  # a lost connection is tried again after 5 s
        while not await request.is_disconnected():
            if now is not None and now["version"] != seen:
                seen, quiet = now["version"], 0.0
                status = person.t(f"app_status.{now['status']}")
                data = {"status": now["status"],
                        "announce": person.t("application.live_updated", status=status)}
                yield f"event: changed\nid: {seen}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
            elif quiet >= KEEP_ALIVE_SECONDS:
                quiet = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS
            try:
                now = await _version(person, application_id)
            except PeerError as exc:
                if exc.status in (401, 403, 404):  # signed out, or no longer theirs: stop
                    return
                now = None  # unreachable for now: try again at the next tick

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _errors(exc: PeerError, lang: str, fields: tuple[str, ...]) -> tuple[dict[str, str], str]:
    """The API's refusal as reasons per form field (by the first part of its path: materials.2
    → materials) and a message for the rest."""
    found: dict[str, list[str]] = {}
    for item in exc.error.get("fields") or []:
        name = str(item.get("field", "")).split(".")[0]
        reason = item.get("reason_zh" if lang == "zh" else "reason") or item.get("reason", "")
        found.setdefault(name if name in fields else "", []).append(reason)
    general = " ".join([exc.message(lang), *found.pop("", [])])
    return {name: "；".join(reasons) for name, reasons in found.items()}, general


async def _post(request: Request, person: Viewer, application_id: str, action: str,
                body: dict[str, Any], fields: tuple[str, ...], given: dict[str, Any]) -> Response:
    try:
        await person.call("intake", "POST", f"/api/v1/applications/{application_id}/{action}",
                          json=body)
    except PeerError as exc:
        if exc.status not in (403, 409, 422):
            raise
        errors, failed = _errors(exc, person.lang, fields)
        return await _page(request, person, application_id, status_code=exc.status,
                           errors={action: errors}, failed=failed, form=action, given=given)
    return see_other(f"/ui/applications/{application_id}?done={action}")


@router.post("/ui/applications/{application_id}/materials")
async def supplement(request: Request, application_id: AppId, person: Window) -> Response:
    """Materials the applicant brought after the notice, recorded through intake's API."""
    form = await form_of(request, person)
    ticked = [c for c in form.getlist("materials") if isinstance(c, str)]
    other = str(form.get("other") or "")[:500]
    codes = list(dict.fromkeys([*ticked, *re.split(r"[\s,，、;；]+", other.strip())]))
    codes = [c for c in codes if c]
    return await _post(request, person, application_id, "materials", {"materials": codes},
                       ("materials",), {"materials": ticked, "other": other})


@router.post("/ui/applications/{application_id}/handover")
async def handover(request: Request, application_id: AppId, person: Window) -> Response:
    """The owner hands the application over to a colleague, through intake's API."""
    form = await form_of(request, person)
    given = {"to_staff": str(form.get("to_staff") or "")[:100],
             "reason": str(form.get("reason") or "")[:1000]}
    return await _post(request, person, application_id, "handover", given,
                       ("to_staff", "reason"), given)
