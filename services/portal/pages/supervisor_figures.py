"""The departments' figures on the supervisor board: received, decided on time and late, and
handling time (p90) over a period, from routing's report — drawn as SVG bar charts, the same
figures in a table, and the slowest departments named in text."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from services.accounts.domain import Role
from services.portal import charts, i18n
from services.portal.peers import PeerError
from services.portal.web import Viewer, render, viewer

router = APIRouter(include_in_schema=False)
Board = Annotated[Viewer, Depends(viewer(Role.supervisor))]
Day = Annotated[str | None, Query(max_length=10)]
SLOWEST = 3  # departments named, slowest first


def slowest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The departments that decided anything, slowest first: by p90 handling time, then the
    mean, then the decisions made late; at most ``SLOWEST``, none with a p90 of zero."""
    timed = [r for r in rows if r.get("p90_working_days")]
    timed.sort(key=lambda r: (-r["p90_working_days"], -(r["average_working_days"] or 0),
                              -r["decided_late"], r["department"]))
    return timed[:SLOWEST]


def name_of(t: i18n.Translator, code: str) -> str:
    return t(f"department.{code}")


def draw(t: i18n.Translator, rows: list[dict[str, Any]], slow: list[dict[str, Any]]
         ) -> dict[str, Any]:
    """The two charts: p90 handling time (the slowest marked), decisions on time and late."""
    marked = {r["department"] for r in slow[:1]}
    p90 = [charts.Bar(name_of(t, r["department"]), (charts.Segment(
        r["p90_working_days"] or 0, t("supervisor.p90"), r["department"] in marked),),
        note=t("supervisor.days_n", n=r["p90_working_days"])
        if r["p90_working_days"] is not None else t("supervisor.no_decisions"))
        for r in rows]
    decided = [charts.Bar(name_of(t, r["department"]), (
        charts.Segment(r["decided_on_time"], t("supervisor.on_time")),
        charts.Segment(r["decided_late"], t("supervisor.late"), True)),
        note=t("supervisor.on_time_late", ok=r["decided_on_time"], late=r["decided_late"],
               received=r["received"])) for r in rows]
    summary = summary_text(t, slow)
    return {
        "p90_chart": charts.bar_chart("chart-p90", t("supervisor.chart_p90"), summary, p90),
        "decided_chart": charts.bar_chart(
            "chart-decided", t("supervisor.chart_decided"), t("supervisor.chart_decided_desc"),
            decided),
        "summary": summary}


def summary_text(t: i18n.Translator, slow: list[dict[str, Any]]) -> str:
    if not slow:
        return t("supervisor.no_slowest")
    named = t("supervisor.list_sep").join(
        t("supervisor.slow_one", name=name_of(t, r["department"]), p90=r["p90_working_days"],
          late=r["decided_late"]) for r in slow)
    return t("supervisor.slowest", names=named)


@router.get("/ui/supervisor/figures", response_class=HTMLResponse)
async def figures(request: Request, person: Board, since: Day = None,
                  until: Day = None) -> HTMLResponse:
    """Each department's figures for hand-offs of the period (all if none is given)."""
    t = person.t
    errors: dict[str, str] = {}
    given = {"since": since or "", "until": until or ""}
    for name, value in given.items():  # checked here: routing would refuse it less kindly
        try:
            if value:
                date.fromisoformat(value)
        except ValueError:
            errors[name] = t("supervisor.bad_date")
    report: dict[str, Any] = {"departments": []}
    message, status = "", 200
    if not errors:
        try:
            report = await person.get("routing", "/api/v1/supervision/departments", **given)
        except PeerError as exc:
            if exc.status != 422:
                raise
            errors, message, status = exc.field_errors(person.lang), exc.message(person.lang), 422
    else:
        status = 422
    rows = report["departments"]
    slow = slowest(rows)
    return render(request, "supervisor/figures.html", person, status_code=status, rows=rows,
                  report=report, values=given, errors=errors, message=message,
                  slow={r["department"] for r in slow}, **draw(t, rows, slow))
