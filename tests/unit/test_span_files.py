"""The local span files are rotated by size, a few old ones kept, and read back in order."""

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from contracts import Department
from services.common.settings import Settings
from services.common.span_files import JsonLinesExporter, read_spans, span_files


@pytest.fixture(autouse=True)
def local_files_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("OTEL_", "ONEDOOR_")):
            monkeypatch.delenv(name)


def write(path: Path, n: int, **limits: int) -> None:
    """``n`` spans named 0 … n-1, one export each."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(path, "intake", **limits)))
    tracer = provider.get_tracer("test")
    for i in range(n):
        tracer.start_span(str(i), attributes={"onedoor.application_id": "a" * 40}).end()
    provider.shutdown()


def test_a_full_file_is_rotated_and_only_a_few_old_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "traces" / "intake.jsonl"
    write(path, 200, max_bytes=4000, backups=3)
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["intake.jsonl", "intake.jsonl.1", "intake.jsonl.2", "intake.jsonl.3"]
    assert all(p.stat().st_size <= 4000 for p in path.parent.iterdir())
    # Read back oldest first, and the newest span is there: what was dropped is the oldest.
    assert span_files(path.parent) == [path.with_name(f"intake.jsonl.{n}") for n in (3, 2, 1)] + [path]
    numbers = [int(s["name"]) for s in read_spans(path.parent)]
    assert numbers == list(range(numbers[0], 200)) and numbers[0] > 0


def test_no_old_files_kept_when_backups_is_zero(tmp_path: Path) -> None:
    path = tmp_path / "intake.jsonl"
    write(path, 100, max_bytes=3000, backups=0)
    assert [p.name for p in tmp_path.iterdir()] == ["intake.jsonl"]
    assert path.stat().st_size <= 3000


def test_files_of_every_process_are_read_and_junk_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "intake.jsonl").write_text('{"name": "new"}\n{"name": "cut sh')
    (tmp_path / "intake.jsonl.1").write_text('{"name": "old"}\n')
    (tmp_path / "intake.jsonl.bak").write_text('{"name": "not ours"}\n')
    (tmp_path / "dept-window.jsonl.2").write_text('{"name": "window"}\n')  # current one gone
    assert [s["name"] for s in read_spans(tmp_path)] == ["window", "old", "new"]


def test_the_size_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().trace_file_max_size == 20 * 1024 * 1024
    assert Settings().trace_file_backups == 3
    monkeypatch.setenv("ONEDOOR_TRACE_FILE_MAX_SIZE", "5MiB")
    monkeypatch.setenv("ONEDOOR_TRACE_FILE_BACKUPS", "1")
    assert (Settings().trace_file_max_size, Settings().trace_file_backups) == (5 * 1024 * 1024, 1)


def test_a_service_rotates_by_its_settings_under_its_process_name(tmp_path: Path) -> None:
    """A department's runtime: spans in dept-x.jsonl (rotated as set), its database where it
    always was (department_x: existing data stays)."""
    from services.departments.app import build_runtime

    settings = Settings(data_dir=tmp_path, trace_file_max_size=2000, trace_file_backups=2)
    runtime = build_runtime(settings, Department.civil_affairs)
    assert runtime.db.url.endswith("/department_civil_affairs.db")
    for i in range(100):
        runtime.tracer.start_span(str(i)).end()
        runtime.tracer_provider.force_flush()  # one export each, as a running service's batches
    runtime.tracer_provider.shutdown()
    assert sorted(p.name for p in (tmp_path / "traces").iterdir()) == [
        "dept-civil_affairs.jsonl", "dept-civil_affairs.jsonl.1", "dept-civil_affairs.jsonl.2"]
    assert {s["service"] for s in read_spans(tmp_path / "traces")} == {"dept-civil_affairs"}
