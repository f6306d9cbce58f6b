"""One application's journey across the services, for operations staff, with no personal
data: times, services, departments, items and results only (no names, no free text).

From the services' APIs, which answer wherever they run (``onedoor up`` or compose): intake's
application (id or receipt number; when it was received, and what notify and the departments
reported back), and routing's hand-offs and ledger (each hand-off, its acceptance, decision,
return and paperwork; the trace ids). The span files ``onedoor trace`` reads exist only where
every process writes to one data directory and no collector is set (not in compose), so
the page names the trace ids for Tempo or ``onedoor trace`` instead of reading them."""

import asyncio
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from services.accounts.domain import Role
from services.portal import charts, i18n
from services.portal.pages.supervisor import item_names
from services.portal.peers import PeerError
from services.portal.web import Viewer, render, viewer

router = APIRouter(include_in_schema=False)
Ops = Annotated[Viewer, Depends(viewer(Role.ops))]
Key = Annotated[str | None, Query(max_length=64)]
# Intake's own record of what the other services reported, where routing has no line of it.
FROM_HISTORY = {"notified": "notify", "completed": "notify", "extended": "routing",
                "materials_requested": "dept"}


RESULTS = ("approved", "rejected", "assigned", "referred")


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _local(value: str) -> str:
    return value[:16].replace("T", " ")  # the API's Beijing time, as people read it


def elapsed(first: datetime, at: datetime) -> str:
    """Time since the first event, as hours, minutes and seconds: ``+26:05:09``."""
    seconds = int((at - first).total_seconds())
    return f"+{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def handoff_events(t: i18n.Translator, h: dict[str, Any]) -> list[charts.Event]:
    """What one hand-off went through: handed over (routing), accepted, decided or returned,
    paperwork done (the department's service)."""
    lane = f"dept-{h['to_department']}" if h["kind"] == "task" else "routing"
    to = t(f"department.{h['to_department']}") if h["kind"] == "task" else t(f"ops.to_{h['kind']}")
    items = item_names(h["items"], t.lang)
    found = [(h["handed_at"], "routing", t("ops.ev_handed", to=to, items=items,
                                           due=_local(h["due_at"])))]
    found.append((h["accepted_at"], lane, t("ops.ev_accepted")))
    if h["result"] and h["decided_at"]:
        late = _at(h["decided_at"]) > _at(h["due_at"])
        found.append((h["decided_at"], lane, t("ops.ev_decided", result=t(
            f"ops.result_{h['result']}") if h["result"] in RESULTS else h["result"])
            + (t("ops.late_mark") if late else "")))
    found.append((h["returned_at"], lane, t("ops.ev_returned")))
    found.append((h["paperwork_completed_at"], lane, t("ops.ev_paperwork")))
    return [charts.Event(_at(when), where, label) for when, where, label in found if when]


def journey(t: i18n.Translator, app: dict[str, Any],
            handoffs: list[dict[str, Any]]) -> list[charts.Event]:
    """Every event, in time order: received at the window (intake), routing's hand-offs and
    what came of them, and what intake alone heard of (notices, completion, extensions)."""
    events = [charts.Event(_at(app["received_at"]), "intake", t("ops.ev_received"))]
    if app.get("accepted_at"):
        events.append(charts.Event(_at(app["accepted_at"]), "intake", t("ops.ev_accepted_all")))
    for h in handoffs:
        events += handoff_events(t, h)
    for entry in app.get("history") or []:
        lane = FROM_HISTORY.get(entry["event"])
        if lane and entry.get("at"):
            lane = f"dept-{entry['department']}" if lane == "dept" else lane
            events.append(charts.Event(_at(entry["at"]), lane, t(f"ops.ev_{entry['event']}")))
    return sorted(events, key=lambda e: e.at)


@router.get("/ui/ops/trace", response_class=HTMLResponse)
async def trace(request: Request, person: Ops, key: Key = None) -> HTMLResponse:
    """The timeline of one application (by id or receipt number) across the services."""
    t = person.t
    context: dict[str, Any] = {"key": (key or "").strip(), "events": [], "message": "",
                               "trace_ids": [], "app": None, "chart": ""}
    if not context["key"]:
        return render(request, "ops/trace.html", person, is_ops=True, **context)
    try:
        app = await person.get("intake", f"/api/v1/applications/{quote(context['key'], safe='')}")
    except PeerError as exc:
        if exc.status not in (404, 422):
            raise
        context["message"] = t("ops.trace_not_found")
        return render(request, "ops/trace.html", person, status_code=404, is_ops=True, **context)
    base = f"/api/v1/applications/{quote(app['id'], safe='')}"
    handoffs: list[dict[str, Any]] = []
    try:
        handoffs, ledger = await asyncio.gather(person.get("routing", f"{base}/handoffs"),
                                                person.get("routing", f"{base}/ledger"))
        context["trace_ids"] = sorted({line["trace_id"] for line in ledger if line["trace_id"]})
    except PeerError as exc:
        context["message"] = t("ops.routing_unread", why=exc.message(person.lang))
    events = journey(t, app, handoffs)
    lanes = list(dict.fromkeys(["intake", "routing", *(e.lane for e in events)]))
    context |= {"app": {"id": app["id"], "receipt_no": app["receipt_no"], "status": app["status"]},
                "rows": [(n + 1, e, elapsed(events[0].at, e.at)) for n, e in enumerate(events)],
                "events": events, "chart": charts.timeline_chart(
                    "trace-chart", t("ops.trace_chart", receipt=app["receipt_no"]),
                    t("ops.trace_chart_desc", n=len(events), lanes=len(lanes)), lanes, events)}
    return render(request, "ops/trace.html", person, is_ops=True, **context)
