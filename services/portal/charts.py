"""Charts drawn on the server as inline SVG: no script, no library, no external asset. Each
carries a ``<title>`` and ``<desc>`` (read by screen readers); the pages show the same figures
in a table next to it, and name in text what the chart shows."""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

ROW, BAR, GAP = 30, 18, 8  # a bar's row height, its thickness, space around the plot
PLOT = 420  # the bars' longest length
CHAR = 7.2  # an average Latin character at 12px; a Chinese one takes two


@dataclass(frozen=True)
class Segment:
    """A part of a bar: its value, what it is (its tooltip), and ``slow`` to mark it."""

    value: float
    label: str
    slow: bool = False


@dataclass(frozen=True)
class Bar:
    label: str
    segments: tuple[Segment, ...]
    note: str = ""  # the text after the bar (the value, by default)

    @property
    def total(self) -> float:
        return sum(max(s.value, 0) for s in self.segments)


@dataclass(frozen=True)
class Event:
    """A moment on a timeline: when, on which lane (a service), and what happened."""

    at: datetime
    lane: str
    label: str


def text_width(text: str) -> float:
    """Pixels ``text`` takes at 12px, about (Chinese characters count double)."""
    return sum(2 * CHAR if unicodedata.east_asian_width(ch) in "WF" else CHAR for ch in text)


def _frame(chart_id: str, title: str, desc: str, width: float, height: float,
           body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="bars chart" role="img" '
            f'id="{escape(chart_id)}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'width="{width:.0f}" height="{height:.0f}" '
            f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">'
            f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>')
    return Markup(head + "".join(body) + "</svg>")


def bar_chart(chart_id: str, title: str, desc: str, bars: Sequence[Bar]) -> Markup:
    """Horizontal bars, one row each, their parts stacked; each bar's label on the left and
    its note (its value, by default) on the right; ``slow`` parts marked (class ``slow``)."""
    label_w = min(max([text_width(b.label) for b in bars] + [40]), 260) + GAP
    notes = [b.note or _number(b.total) for b in bars]
    note_w = max([text_width(n) for n in notes] + [20]) + GAP
    largest = max([b.total for b in bars] + [0])
    scale = PLOT / largest if largest > 0 else 0
    width, height = label_w + PLOT + note_w + 2 * GAP, max(len(bars), 1) * ROW + 2 * GAP
    body = []
    for n, (bar, note) in enumerate(zip(bars, notes, strict=True)):
        y = GAP + n * ROW
        mid = y + ROW / 2 + 4
        body.append(f'<text x="{label_w - GAP:.1f}" y="{mid:.1f}" text-anchor="end">'
                    f'{escape(bar.label)}</text>')
        x = label_w
        for part in bar.segments:
            length = max(part.value, 0) * scale
            if length <= 0:
                continue
            kind = "bar slow" if part.slow else "bar"
            body.append(f'<rect class="{kind}" x="{x:.1f}" y="{y + (ROW - BAR) / 2:.1f}" '
                        f'width="{length:.1f}" height="{BAR}">'
                        f'<title>{escape(bar.label)}: {escape(part.label)}</title></rect>')
            x += length
        body.append(f'<text x="{x + GAP / 2:.1f}" y="{mid:.1f}">{escape(note)}</text>')
    if not bars:
        body.append(f'<text x="{GAP}" y="{GAP + ROW / 2:.1f}">{escape(desc)}</text>')
    return _frame(chart_id, title, desc, width, height, body)


def timeline_chart(chart_id: str, title: str, desc: str, lanes: Sequence[str],
                   events: Sequence[Event]) -> Markup:
    """One lane per service; the events in time order left to right, evenly spaced (minutes
    and days apart alike: the list under the chart gives the times), joined by a line from
    one to the next; each a numbered dot (the number of its line in the list)."""
    label_w = min(max([text_width(name) for name in lanes] + [40]), 200) + GAP
    step = PLOT / max(len(events) - 1, 1)
    width, height = label_w + PLOT + 3 * GAP, max(len(lanes), 1) * ROW + 2 * GAP
    row = {name: n for n, name in enumerate(lanes)}
    body = []
    for name, n in row.items():
        y = GAP + n * ROW + ROW / 2
        body.append(f'<text x="{label_w - GAP:.1f}" y="{y + 4:.1f}" text-anchor="end">'
                    f'{escape(name)}</text>'
                    f'<line x1="{label_w:.1f}" y1="{y:.1f}" x2="{label_w + PLOT:.1f}" '
                    f'y2="{y:.1f}" stroke="#cfd6de" stroke-width="2"/>')
    points = [(label_w + n * step, GAP + row.get(e.lane, 0) * ROW + ROW / 2)
              for n, e in enumerate(events)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="#555e68" '
                    f'stroke-width="1" stroke-dasharray="3 3"/>')
    for n, (event, (x, y)) in enumerate(zip(events, points, strict=True)):
        body.append(f'<circle class="bar" cx="{x:.1f}" cy="{y:.1f}" r="6">'
                    f'<title>{n + 1}. {escape(event.lane)}: {escape(event.label)}</title></circle>'
                    f'<text x="{x + 4:.1f}" y="{y - 8:.1f}">{n + 1}</text>')
    return _frame(chart_id, title, desc, width, height, body)


def _number(value: float) -> str:
    return f"{value:g}"
