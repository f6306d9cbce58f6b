"""The arithmetic of the bench: percentiles, the ratio to the ceiling, rates over time, and the
hand-off latency of every hop read back from the span files."""

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from services.common.span_files import span_files

QUANTILES = {"p50": 50, "p95": 95, "p99": 99}


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of ``values``: a value that was
    measured, never an interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """{p50, p95, p99}, rounded to a hundredth (milliseconds: ten microseconds)."""
    return {name: round(percentile(values, q), 2) for name, q in QUANTILES.items()}


def ratio_to_ceiling(end_to_end_per_s: float, messages_per_application: float,
                     ceiling_msgs_per_s: float) -> float:
    """The share of the raw one-hop rate the system turns into work: applications per second
    times the messages each one makes, over the messages per second one hop carries."""
    if ceiling_msgs_per_s <= 0:
        return 0.0
    return end_to_end_per_s * messages_per_application / ceiling_msgs_per_s


def per_second(samples: Iterable[tuple[float, int]]) -> list[tuple[float, float]]:
    """From (seconds since the start, running count) samples, (time, rate per second) between
    each sample and the one before it."""
    rates, last = [], (0.0, 0)
    for at, count in samples:
        if at > last[0]:
            rates.append((at, (count - last[1]) / (at - last[0])))
            last = (at, count)
    return rates


def buckets(points: Iterable[tuple[float, float]], width: float = 1.0) -> dict[int, list[float]]:
    """(time, value) points grouped by ``width``-second bucket of their time."""
    grouped: dict[int, list[float]] = {}
    for at, value in points:
        grouped.setdefault(int(at // width), []).append(value)
    return grouped


def handoffs(traces: Path) -> list[tuple[int, float]]:
    """Every hop of the span files under ``traces``: (publish time in ns since the epoch,
    milliseconds from the start of its PRODUCER span to the start of the first CONSUMER span
    whose parent it is — the publish with the server's acknowledgement, the wait in the
    stream, the pull and the hand-over to the handler). One publish read by several
    consumers is one hop per consumer."""
    producers: dict[str, int] = {}
    consumers: dict[tuple[str, str], int] = {}  # (parent, process) -> earliest start
    for path in span_files(traces):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except FileNotFoundError:  # rotated away while we listed
            continue
        for line in lines:
            # Most spans are database and HTTP ones: skip them before parsing.
            if '"PRODUCER"' not in line and '"CONSUMER"' not in line:
                continue
            try:
                span = json.loads(line)
            except ValueError:
                continue
            if span.get("kind") == "PRODUCER":
                producers[span["span_id"]] = span["start_ns"]
            elif span.get("kind") == "CONSUMER" and span.get("parent_id"):
                key = (span["parent_id"], span.get("service", ""))
                consumers[key] = min(consumers.get(key, span["start_ns"]), span["start_ns"])
    return sorted((producers[parent], (start - producers[parent]) / 1e6)
                  for (parent, _), start in consumers.items() if parent in producers)
