"""The operations page (运维): every service and whether it is ready, each consumer's backlog,
the dead letters with a replay button. Readiness is asked from this machine (``/ready`` is
open to loopback callers) with the person's token too (a service elsewhere, as in compose,
answers an ops account); the operations API answers the ops role only, so an admin sees
readiness alone. A service that cannot be reached is shown as such, never as an error page."""

import asyncio
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.accounts.domain import Role
from services.portal.peers import PeerError
from services.portal.web import PageRefused, Viewer, form_of, render, see_other, viewer

router = APIRouter(include_in_schema=False)
Ops = Annotated[Viewer, Depends(viewer(Role.ops))]
OpsOrAdmin = Annotated[Viewer, Depends(viewer(Role.ops, Role.admin))]
Service = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z][a-z_-]*$")]
Text = Annotated[str | None, Query(max_length=100)]
READY, NOT_READY, DOWN, HIDDEN = "ready", "not_ready", "down", "hidden"
ANSWERED = (404, 409, 422, 503)  # shown on the page itself (503: the service is down)


def services_of(person: Viewer) -> list[str]:
    """Intake (serving these pages) and every service the screens know of."""
    peers = person.peers
    return list(dict.fromkeys([peers.local_name, *peers.urls]))


async def readiness(person: Viewer, service: str) -> dict[str, Any]:
    """``service``'s ``/ready``: ready, not ready (which checks fail), not reachable, or
    refused here (another machine answering only the ops role)."""
    try:
        body = await person.peers.call(service, "GET", "/ready", token=person.token,
                                       client_host="127.0.0.1")
    except PeerError as exc:
        if exc.status in (401, 403):
            return {"service": service, "state": HIDDEN, "failing": []}
        checks = exc.body.get("checks")
        if exc.status == 503 and isinstance(checks, dict):
            return {"service": service, "state": NOT_READY,
                    "failing": sorted(k for k, ok in checks.items() if not ok)}
        return {"service": service, "state": DOWN, "failing": []}
    return {"service": service, "state": READY if (body or {}).get("ready") else NOT_READY,
            "failing": []}


async def _listing(person: Viewer, service: str, path: str) -> tuple[list[Any], str]:
    """The list ``path`` of ``service`` as this person, or the reason it could not be read."""
    try:
        return list(await person.get(service, path) or []), ""
    except PeerError as exc:
        return [], exc.message(person.lang)


async def show_ops(request: Request, person: Viewer, status_code: int = 200,
                   message: str = "") -> HTMLResponse:
    """The page; ``message``: why a replay just failed."""
    services = services_of(person)
    states = await asyncio.gather(*(readiness(person, s) for s in services))
    consumers: list[dict[str, Any]] = []
    letters: list[dict[str, Any]] = []
    problems: list[tuple[str, str]] = []
    if person.actor.role == Role.ops:
        reachable = [s["service"] for s in states if s["state"] != DOWN]
        found = await asyncio.gather(*(asyncio.gather(
            _listing(person, s, "/api/v1/ops/consumers"),
            _listing(person, s, "/api/v1/ops/dead-letters")) for s in reachable))
        for service, ((rows, why), (dead, why_dead)) in zip(reachable, found, strict=True):
            consumers += [{"service": service, **r} for r in rows]
            letters += [{**d, "service": service} for d in dead]
            problems += [(service, w) for w in {why, why_dead} if w]
    query = request.query_params
    return render(request, "ops/overview.html", person, status_code=status_code,
                  states=states, ready_count=sum(s["state"] == READY for s in states),
                  consumers=consumers, letters=letters, problems=problems,
                  is_ops=person.actor.role == Role.ops, message=message,
                  replayed=query.get("replayed", ""), replayed_service=query.get("service", ""))


@router.get("/ui/ops", response_class=HTMLResponse)
async def overview(request: Request, person: OpsOrAdmin, replayed: Text = None,
                   service: Text = None) -> HTMLResponse:
    """Every service's readiness; for the ops role, consumers' backlogs and dead letters."""
    return await show_ops(request, person)


@router.post("/ui/ops/dead-letters/{service}/{letter_id}/replay")
async def replay(request: Request, person: Ops, service: Service,
                 letter_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Response:
    """Replays one dead letter of ``service`` (once; its API keeps a failed one, with why)."""
    await form_of(request, person)
    if service not in services_of(person):
        raise PageRefused(404, "ops.unknown_service")
    try:
        await person.call(service, "POST", f"/api/v1/ops/dead-letters/{letter_id}/replay")
    except PeerError as exc:
        if exc.status not in ANSWERED:
            raise
        return await show_ops(request, person, exc.status, exc.message(person.lang))
    return see_other("/ui/ops?" + urlencode({"replayed": letter_id, "service": service}))
