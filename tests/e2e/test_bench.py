"""A tiny ``make bench``: it says what it is doing, and removes its temporary directory."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_small_bench_shows_its_progress_and_cleans_up(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.load", "--applications", "5", "--concurrency", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # where its temporary directory goes
    )

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    out = result.stdout
    for step in ("starting the system", "every service is ready", "submitted 5/5",
                 "completed 5/5", "counting every stage", "every count matches"):
        assert step in out, f"{step!r} not shown:\n{out}"
    assert list(tmp_path.glob("onedoor-bench-*")) == [], "the temporary directory was left behind"
