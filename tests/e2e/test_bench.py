"""A tiny ``make bench``: it says what it is doing, writes its figures, and removes its temporary
directory."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_small_bench_shows_its_progress_and_cleans_up(tmp_path: Path) -> None:
    """With a history: five applications first, copied to fifteen, then five measured, every
    stage counted on top of what the history holds."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.load", "--applications", "5", "--concurrency", "2",
         "--history", "15"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # where its temporary directory goes
    )

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    out = result.stdout
    for step in ("starting the system", "history: intake holds 3× its rows",
                 "every service is ready", "submitted 5/5", "completed 5/5",
                 "15 past ones in the databases", "counting every stage",
                 "every count matches"):
        assert step in out, f"{step!r} not shown:\n{out}"
    assert list(tmp_path.glob("onedoor-bench-*")) == [], "the temporary directory was left behind"


def test_onedoor_bench_measures_everything_in_one_go(tmp_path: Path) -> None:
    """Tiny numbers: the ceiling, the system on SQLite, the system at rest; the JSON and the
    chart written. The figures themselves are never judged here."""
    result = subprocess.run(
        [sys.executable, "-m", "services.launcher", "bench", "--applications", "3",
         "--concurrency", "2", "--ceiling-messages", "500", "--no-postgres",
         "--at-rest-seconds", "1", "--settle-seconds", "0",
         "--json", str(tmp_path / "bench.json"), "--chart", str(tmp_path / "bench.png")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    for step in ("[1/4] the ceiling", "[2/4] the whole system on SQLite", "completed 3/3",
                 "[3/4] PostgreSQL: skipped", "[4/4] at rest", "ratio to the ceiling"):
        assert step in result.stdout, f"{step!r} not shown:\n{result.stdout}"
    figures = json.loads((tmp_path / "bench.json").read_text())
    assert figures["runs"][0]["every_count_matches"]
    assert figures["ceiling_msgs_per_s"] > 0 and figures["end_to_end_per_s"] > 0
    assert set(figures["cpu_s_per_application"]) >= {"nats-server", "intake", "routing", "notify"}
    assert len(figures["at_rest"]["processes"]) == 11  # nats-server and ten services
    assert (tmp_path / "bench.png").read_bytes().startswith(b"\x89PNG")
    assert list(tmp_path.glob("onedoor-bench-*")) == [], "the temporary directory was left behind"
