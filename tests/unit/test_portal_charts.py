"""The screens' charts (services/portal/charts.py): SVG drawn on the server, accessible
(a title and a description), escaped, and the figures they stand for; the board's helpers
that choose what the charts and lists show."""

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from services.common.workdays import SHANGHAI
from services.portal import charts
from services.portal.i18n import Translator
from services.portal.pages.ops_trace import elapsed, journey
from services.portal.pages.supervisor import at_risk, by_department
from services.portal.pages.supervisor_figures import draw, slowest, summary_text

SVG = "{http://www.w3.org/2000/svg}"


def _row(code: str, p90: int | None, mean: float | None = None, late: int = 0) -> dict:
    return {"department": code, "received": 5, "decided_on_time": 3, "decided_late": late,
            "returned": 0, "open": 1, "overdue": 0, "average_working_days": mean,
            "p90_working_days": p90}


def test_a_bar_chart_is_svg_with_title_description_and_one_bar_per_part() -> None:
    svg = str(charts.bar_chart("c1", "办结用时", "最慢：教育", [
        charts.Bar("教育", (charts.Segment(8, "p90", slow=True),)),
        charts.Bar("医保", (charts.Segment(2, "on time"), charts.Segment(1, "late", True)),
                   note="2 + 1"),
        charts.Bar("民政", (charts.Segment(0, "p90"),), note="nothing decided")]))
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "办结用时"
    assert root.find(f"{SVG}desc").text == "最慢：教育"
    rects = root.findall(f"{SVG}rect")
    assert [(r.get("class"), r.find(f"{SVG}title").text) for r in rects] == [
        ("bar slow", "教育: p90"), ("bar", "医保: on time"), ("bar slow", "医保: late")]
    widths = [float(r.get("width")) for r in rects]
    assert widths[0] == charts.PLOT and widths[1] == widths[0] / 4  # to scale: 8 against 2
    texts = [t.text for t in root.findall(f"{SVG}text")]
    assert texts == ["教育", "8", "医保", "2 + 1", "民政", "nothing decided"]
    assert "style=" not in svg and "<script" not in svg  # the pages' CSP allows neither


def test_labels_are_escaped_and_an_empty_chart_says_why() -> None:
    svg = str(charts.bar_chart("c2", "<b>", 'a "quote" & <tag>',
                               [charts.Bar("<script>x</script>", (charts.Segment(1, "&"),))]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)
    empty = ET.fromstring(str(charts.bar_chart("c3", "t", "nothing yet", [])))
    assert [t.text for t in empty.findall(f"{SVG}text")] == ["nothing yet"]
    assert empty.findall(f"{SVG}rect") == []


def test_a_timeline_has_a_lane_per_service_and_numbered_events_in_order() -> None:
    t0 = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    events = [charts.Event(t0, "intake", "received"),
              charts.Event(t0 + timedelta(seconds=1), "routing", "handed over"),
              charts.Event(t0 + timedelta(days=3), "dept-medical", "decided")]
    root = ET.fromstring(str(charts.timeline_chart(
        "tl", "journey", "3 events", ["intake", "routing", "dept-medical"], events)))
    circles = root.findall(f"{SVG}circle")
    assert [c.find(f"{SVG}title").text for c in circles] == [
        "1. intake: received", "2. routing: handed over", "3. dept-medical: decided"]
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs) and len(set(xs)) == 3  # never on top of each other
    assert len({float(c.get("cy")) for c in circles}) == 3  # one lane each
    assert root.find(f"{SVG}polyline") is not None
    assert elapsed(t0, events[2].at) == "+72:00:00"


def test_the_slowest_departments_by_p90_then_mean_then_late() -> None:
    rows = [_row("civil_affairs", None), _row("education", 8, 3.75, late=1),
            _row("housing", 0, 0.0), _row("medical", 8, 5.0), _row("hrss", 2, 1.0),
            _row("federations", 1, 1.0)]
    assert [r["department"] for r in slowest(rows)] == ["medical", "education", "hrss"]
    t = Translator("en")
    text = summary_text(t, slowest(rows))
    assert text.startswith("Slowest departments: Medical insurance (p90 8 working days")
    assert summary_text(t, slowest([_row("housing", 0)])) == t("supervisor.no_slowest")
    drawn = draw(t, rows, slowest(rows))
    assert str(drawn["p90_chart"]).count('class="bar slow"') == 1  # the slowest alone
    assert re.search(r'class="bar slow"[^>]*><title>Medical insurance: ', str(drawn["p90_chart"]))
    assert "Slowest departments" in str(drawn["p90_chart"])  # its description names them


def _stage(receipt: str, department: str | None, stage: str = "decide") -> dict:
    return {"receipt_no": receipt, "department": department, "stage": stage,
            "task_id": None if department is None else f"t-{receipt}",
            "case_id": f"c-{receipt}" if department is None else None}


def test_overdue_grouped_by_department_and_warned_stages_not_yet_due() -> None:
    overdue = [_stage("A", "education"), _stage("B", None, "assign"), _stage("C", "education")]
    assert [(d, [s["receipt_no"] for s in g]) for d, g in by_department(overdue)] == [
        ("education", ["A", "C"]), ("joint_meeting", ["B"])]
    now = datetime(2026, 3, 20, 9, tzinfo=SHANGHAI)

    def alert(subject: str, level: int, due: datetime, stage: str = "decide") -> dict:
        return {"subject_id": subject, "stage": stage, "level": level,
                "due_at": due.isoformat(), "raised_at": now.isoformat()}

    later, earlier = now + timedelta(days=2), now - timedelta(days=1)
    alerts = [alert("t-A", 0, later), alert("t-X", 0, later), alert("t-X", 0, later),
              alert("t-Y", 0, later), alert("t-Y", 1, later), alert("t-Z", 0, earlier),
              alert("t-W", 0, later, "accept")]
    assert [(a["subject_id"], a["stage"]) for a in at_risk(alerts, overdue, now)] == [
        ("t-X", "decide"), ("t-W", "accept")]


def test_a_journey_names_services_and_results_but_no_one() -> None:
    t = Translator("zh")
    app = {"received_at": "2026-03-02T09:00:00+08:00", "accepted_at": None, "history": [
        {"at": "2026-03-05T10:00:00+08:00", "event": "notified", "department": None,
         "actor": "notify", "detail": "短信已发送给张三"},
        {"at": "2026-03-02T09:00:02+08:00", "event": "assigned", "department": "medical",
         "actor": "routing", "detail": "x"}]}
    handoff = {"kind": "task", "to_department": "medical", "items": ["medical_aid"],
               "handed_at": "2026-03-02T09:00:01+08:00", "due_at": "2026-03-03T23:59:59+08:00",
               "accepted_at": "2026-03-02T11:00:00+08:00", "result": "approved",
               "decided_at": "2026-03-04T10:00:00+08:00", "returned_at": None,
               "paperwork_completed_at": None, "accepted_by": "yb-01"}
    steps = [(e.lane, e.label) for e in journey(t, app, [handoff])]
    assert steps == [("intake", "窗口受理"),
                     ("routing", "分办至医保：医疗救助，时限 2026-03-03 23:59"),
                     ("dept-medical", "部门签收"), ("dept-medical", "办结：批准（超时）"),
                     ("notify", "已通知申请人")]
    assert not any("张三" in label or "yb-01" in label for _, label in steps)
