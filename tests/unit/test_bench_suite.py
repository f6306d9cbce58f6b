"""``onedoor bench``: the JSON it writes, the table it prints, the chart it draws, and the order
of its steps — with the measurements themselves faked (tests/e2e/test_bench.py runs them)."""

import json
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from bench import at_rest, ceiling, chart, load, postgres, suite
from bench.progress import Progress
from bench.report import Report, expected_counts
from services.launcher import cli

TOP = ceiling.Ceiling(messages=20_000, seconds=1.0, publish_seconds=0.5)  # 20,000/s
IDLE = [at_rest.Usage("nats-server", 1, 1.0, 25.0), at_rest.Usage("intake", 2, 2.5, 120.0)]
MACHINE = {"cpus": 2, "load_average_at_start": [1.0, 1.0, 1.0]}


def _report(database: str = "sqlite", n: int = 100) -> Report:
    report = Report(n, submit_seconds=5.0, complete_seconds=10.0, database=database,
                    started_epoch=1000.0)
    report.expected = expected_counts(n)
    report.counts = dict(report.expected)  # 20 messages on the stream per application
    report.post_ms = [(t / 10, float(t)) for t in range(1, 101)]
    report.completed = [(1.0, 10), (2.0, 40), (10.0, n)]
    report.handoffs = [(int(1000.5e9), 4.0), (int(1001.5e9), 8.0)]
    report.cpu_seconds = {"intake": 5.0, "nats-server": 1.0}
    report.rss_mb = {"intake": 130.0, "nats-server": 30.0}
    return report


def test_the_json_has_the_headline_figures_of_the_first_run() -> None:
    figures = suite.results(TOP, [_report(), _report("postgresql")], IDLE, 30.0, MACHINE, None)

    assert figures["ceiling_msgs_per_s"] == 20_000
    assert figures["end_to_end_per_s"] == 10.0
    assert figures["messages_per_application"] == 20.0
    assert figures["ratio_to_ceiling"] == pytest.approx(10 * 20 / 20_000)
    assert figures["intake_post_ms"] == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    assert figures["handoff_ms"] == {"p50": 4.0, "p95": 8.0, "p99": 8.0}
    assert figures["cpu_s_per_application"] == {"intake": 0.05, "nats-server": 0.01}
    assert figures["rss_mb"] == {"intake": 130.0, "nats-server": 30.0}
    assert figures["idle_cpu_percent"] == 3.5
    assert figures["at_rest"]["processes"]["intake"] == {"cpu_percent": 2.5, "rss_mb": 120.0}
    assert [r["database"] for r in figures["runs"]] == ["sqlite", "postgresql"]
    assert all(r["every_count_matches"] for r in figures["runs"])
    json.dumps(figures)  # all of it is JSON


def test_the_table_has_a_column_per_database_and_says_why_postgresql_was_skipped() -> None:
    figures = suite.results(TOP, [_report()], IDLE, 30.0, MACHINE, "not reachable (refused)")

    text = "\n".join(suite.table(figures))

    assert "20,000 messages/s" in text and "sqlite" in text and "postgresql" not in text.split(
        "PostgreSQL skipped")[0]
    assert "PostgreSQL skipped: not reachable (refused)" in text
    assert "ratio to the ceiling" in text and "1.00%" in text
    assert "3.5% of a core" in text


def test_the_chart_is_a_png(tmp_path: Path) -> None:
    chart.draw([_report(), _report("postgresql")], tmp_path / "out" / "chart.png")

    with Image.open(tmp_path / "out" / "chart.png") as image:
        assert image.format == "PNG" and image.size == (chart.WIDTH, chart.HEIGHT)
    assert chart.nice(7.3) == 10 and chart.nice(0.3) == 0.5 and chart.nice(120) == 200


def test_a_run_measures_in_order_writes_its_files_and_cleans_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    steps: list[str] = []
    monkeypatch.setattr(ceiling, "run", lambda m, d: steps.append(f"ceiling {m}") or TOP)
    monkeypatch.setattr(load, "run", lambda n, d, **kw: steps.append(
        f"load {n} {kw.get('database_url')}") or _report("postgresql" if kw.get(
            "database_url") else "sqlite", n))
    monkeypatch.setattr(postgres, "unreachable", lambda url: "refused")
    monkeypatch.setattr(at_rest, "on_new_system", lambda s, settle, p, d: steps.append(
        f"at rest {s}") or IDLE)
    plan = suite.Plan(applications=100, ceiling_messages=500, at_rest_seconds=2,
                      json_path=tmp_path / "b.json", chart_path=tmp_path / "b.png")

    assert suite.run(plan, Progress()) == 0

    assert steps == ["ceiling 500", "load 100 None", "at rest 2"]
    out = capsys.readouterr().out
    assert "PostgreSQL: skipped, not reachable" in out
    assert json.loads((tmp_path / "b.json").read_text())["idle_cpu_percent"] == 3.5
    assert (tmp_path / "b.png").exists()
    assert list(tmp_path.glob("onedoor-bench-*")) == []


def test_onedoor_bench_hands_its_options_to_the_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[suite.Plan] = []
    monkeypatch.setattr(suite, "run", lambda plan: seen.append(plan) or 0)

    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "--applications", "7", "--no-postgres", "--json", "x.json"])

    assert exit_.value.code == 0
    assert seen == [suite.Plan(applications=7, database_url=None, json_path=Path("x.json"))]
