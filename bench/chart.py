"""The bench's chart, drawn with Pillow: completed applications per second over time, and the
intake POST and hand-off latency (p95 per bucket) over time, one colour per database."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bench.figures import buckets, per_second, percentile
from bench.report import Report

WIDTH, HEIGHT, MARGIN = 1000, 700, 70
COLOURS = {"sqlite": (31, 119, 180), "postgresql": (214, 96, 20)}
BUCKET = 2.0  # seconds


@dataclass
class Series:
    label: str
    colour: tuple[int, int, int]
    points: list[tuple[float, float]]
    dots: bool = False  # points, not a line


def throughput(report: Report) -> list[tuple[float, float]]:
    """Completed applications per second, averaged over ``BUCKET`` seconds."""
    grouped = buckets(per_second(report.completed), BUCKET)
    return [((b + 0.5) * BUCKET, sum(v) / len(v)) for b, v in sorted(grouped.items())]


def p95_over_time(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    return [((b + 0.5) * BUCKET, percentile(v, 95))
            for b, v in sorted(buckets(points, BUCKET).items())]


def handoffs_over_time(report: Report) -> list[tuple[float, float]]:
    """Hand-offs by the time of their publish, in seconds since the first submission."""
    origin = report.started_epoch * 1e9
    return [((ns - origin) / 1e9, ms) for ns, ms in report.handoffs]


def draw(reports: Sequence[Report], path: Path) -> None:
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    canvas = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    half = (HEIGHT - 2 * MARGIN) // 2
    top = (MARGIN, 40, WIDTH - 30, 40 + half)
    bottom = (MARGIN, top[3] + 70, WIDTH - 30, HEIGHT - 50)
    rates, latency = [], []
    for r in reports:
        colour = COLOURS.get(r.database, (60, 60, 60))
        rates.append(Series(f"{r.database}: completed/s", colour, throughput(r)))
        latency.append(Series(f"{r.database}: intake POST p95", colour,
                              p95_over_time(r.post_ms)))
        if r.handoffs:
            latency.append(Series(f"{r.database}: hand-off p95 (dots)", colour,
                                  p95_over_time(handoffs_over_time(r)), dots=True))
    end = nice(max([p[0] for s in rates + latency for p in s.points] + [1.0]))
    panel(canvas, font, top, "completed applications per second", rates, end)
    panel(canvas, font, bottom, "latency, ms (p95 per 2 s; log scale)", latency, end, log=True)
    canvas.text((WIDTH // 2, HEIGHT - 20), "seconds since the first submission", "black",
                font, anchor="mm")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "PNG")


def panel(canvas: ImageDraw.ImageDraw, font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
          box: tuple[int, int, int, int], title: str, series: list[Series], end: float,
          log: bool = False) -> None:
    """One plot: time across, the series up (on a log scale: a decade per grid line)."""
    left, top, right, bottom = box
    canvas.text((left, top - 24), title, "black", font)
    values = [p[1] for s in series for p in s.points if p[1] > 0] or [1.0]
    if log:
        low = math.floor(math.log10(max(min(values), 0.01)))
        high = max(math.ceil(math.log10(max(values))), low + 1)
        steps = (1, 2, 5) if high - low <= 2 else (1,)  # few decades: 1, 2, 5 in each
        marks = [m * 10.0 ** e for e in range(low, high) for m in steps] + [10.0 ** high]
    else:
        marks = [nice(max(values)) * n / 5 for n in range(6)]

    def up(v: float) -> float:
        share = ((math.log10(max(v, marks[0])) - low) / (high - low) if log
                 else min(v, marks[-1]) / marks[-1])
        return bottom - (bottom - top) * share

    canvas.rectangle(box, outline=(120, 120, 120))
    for mark in marks:  # grid and scale
        canvas.line((left, up(mark), right, up(mark)), fill=(225, 225, 225))
        canvas.text((left - 6, up(mark)), f"{mark:g}", "black", font, anchor="rm")
    for n in range(6):
        x = left + (right - left) * n / 5
        canvas.text((x, bottom + 6), f"{end * n / 5:g}", "black", font, anchor="mt")
    for n, s in enumerate(series):
        xy = [(left + (right - left) * t / end, up(v)) for t, v in s.points]
        if s.dots or len(xy) == 1:
            for x, y in xy:
                canvas.ellipse((x - 2, y - 2, x + 2, y + 2), fill=s.colour)
        else:
            canvas.line(xy, fill=s.colour, width=2)
        canvas.text((right - 8, top + 8 + 18 * n), s.label, s.colour, font, anchor="ra")


def nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × a power of ten at or above ``value``."""
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)
