"""The bench says what it is doing while it runs, and leaves no temporary directory behind
unless asked to (or unless the run failed: then its logs are what one needs)."""

import io
import tempfile
from pathlib import Path

import pytest

from bench import load
from bench.progress import Progress
from bench.report import Report


def _fake_run(counted_right: bool):
    def run(n: int, data_dir: Path, **_: object) -> Report:
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / "onedoor-up.log").write_text("log\n")
        report = Report(n, submit_seconds=1.0, complete_seconds=2.0)
        report.expected = {"intake: applications": n}
        report.counts = {"intake: applications": n if counted_right else n - 1}
        return report
    return run


@pytest.fixture
def temp_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _bench_dirs(root: Path) -> list[Path]:
    return list(root.glob("onedoor-bench-*"))


def test_the_temporary_directory_is_removed_after_a_good_run(temp_root: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "run", _fake_run(counted_right=True))

    assert load.main(["--applications", "5"]) == 0
    assert _bench_dirs(temp_root) == []


def test_keep_keeps_it(temp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "run", _fake_run(counted_right=True))

    assert load.main(["--applications", "5", "--keep"]) == 0
    [kept] = _bench_dirs(temp_root)
    assert (kept / "onedoor-up.log").exists()


def test_a_failed_run_keeps_its_logs(temp_root: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(load, "run", _fake_run(counted_right=False))

    assert load.main(["--applications", "5"]) == 1
    [kept] = _bench_dirs(temp_root)
    assert f"kept in {kept}" in capsys.readouterr().out


def test_a_given_data_dir_is_never_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load, "run", _fake_run(counted_right=True))

    assert load.main(["--applications", "5", "--data-dir", str(tmp_path / "mine")]) == 0
    assert (tmp_path / "mine" / "onedoor-up.log").exists()


def test_progress_counts_in_about_ten_lines_and_always_shows_the_end() -> None:
    out = io.StringIO()
    progress = Progress(out, clock=iter(range(100_000)).__next__)

    for done in range(1, 10_001):
        progress.counted("submitted", done, 10_000)
    for done in (0, 1, 2, 3):
        progress.counted("completed", done, 3)

    lines = out.getvalue().splitlines()
    submitted = [line for line in lines if "submitted" in line]
    assert 5 <= len(submitted) <= 11 and submitted[-1].endswith("submitted 10000/10000")
    assert [line.split("] ")[1] for line in lines if "completed" in line] == [
        "completed 1/3", "completed 2/3", "completed 3/3"]
