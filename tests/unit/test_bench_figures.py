"""The bench's arithmetic: percentiles, the ratio to the ceiling, rates, hand-offs from spans."""

import json
from pathlib import Path

import pytest

from bench import figures


def test_percentiles_are_nearest_rank_values_that_were_measured() -> None:
    values = list(range(1, 101))  # 1..100

    assert figures.percentile(values, 50) == 50
    assert figures.percentile(values, 95) == 95
    assert figures.percentile(values, 99) == 99
    assert figures.percentile(values, 100) == 100
    assert figures.percentile([7.0], 99) == 7.0
    assert figures.percentile([3, 1, 2], 50) == 2  # order does not matter
    assert figures.percentile([], 50) == 0.0


def test_the_summary_is_p50_p95_p99() -> None:
    assert figures.summary([float(v) for v in range(1, 1001)]) == {
        "p50": 500.0, "p95": 950.0, "p99": 990.0}


def test_the_ratio_to_the_ceiling() -> None:
    # 10 applications/s, 20 messages each: 200 of the 20,000 messages/s one hop carries
    assert figures.ratio_to_ceiling(10, 20, 20_000) == pytest.approx(0.01)
    assert figures.ratio_to_ceiling(10, 20, 0) == 0.0


def test_rates_between_samples_of_a_running_count() -> None:
    samples = [(0.5, 0), (1.0, 5), (1.0, 5), (2.0, 25)]

    assert figures.per_second(samples) == [(0.5, 0.0), (1.0, 10.0), (2.0, 20.0)]
    assert figures.buckets([(0.2, 1.0), (0.9, 2.0), (2.5, 3.0)], 1.0) == {0: [1.0, 2.0],
                                                                        2: [3.0]}


def _span(kind: str, span_id: str, parent: str | None, start_ms: float,
          service: str = "routing") -> str:
    return json.dumps({"trace_id": "t", "span_id": span_id, "parent_id": parent, "kind": kind,
                       "name": "x", "service": service, "start_ns": int(start_ms * 1e6),
                       "end_ns": int(start_ms * 1e6) + 1})


def test_a_hop_is_from_its_publish_to_the_first_delivery_to_each_consumer(tmp_path: Path) -> None:
    (tmp_path / "intake.jsonl").write_text("\n".join([
        _span("PRODUCER", "p1", "s", 1000.0, "intake"),
        _span("CLIENT", "db", "p1", 1001.0, "intake"),  # a database span: not a hop
        _span("PRODUCER", "p2", "s", 2000.0, "intake"),
        "{cut short by a crash",
    ]) + "\n")
    (tmp_path / "routing.jsonl").write_text("\n".join([
        _span("CONSUMER", "c1", "p1", 1012.5),
        _span("CONSUMER", "c1b", "p1", 1500.0),  # redelivered: the first delivery counts
        _span("CONSUMER", "c2", "p2", 2003.0),
        _span("CONSUMER", "c3", "unknown", 2004.0),  # its publish's span not kept
    ]) + "\n")
    (tmp_path / "notify.jsonl.1").write_text(_span("CONSUMER", "n1", "p1", 1020.0, "notify") + "\n")

    hops = figures.handoffs(tmp_path)

    assert [round(ms, 3) for _, ms in hops] == [12.5, 20.0, 3.0]
    assert hops[0][0] == int(1000.0 * 1e6)
    assert figures.handoffs(tmp_path / "none") == []
