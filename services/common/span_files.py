"""The local span files: each process appends its spans as JSON lines to
``<data dir>/traces/<process>.jsonl``, rotated by size (``<process>.jsonl.1`` is the newest
old one, ``.2`` the one before, …), and ``onedoor trace`` reads them all back."""

import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

MAX_BYTES = 20 * 1024 * 1024
BACKUPS = 3
_SPAN_FILE = re.compile(r"(?P<base>.+\.jsonl)(?:\.(?P<n>\d+))?")

# One lock per file: several exporters of one process (tests run several services in one) may
# write the same file, and a rotation must not interleave with an append.
_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(path.resolve(), threading.Lock())


class JsonLinesExporter(SpanExporter):
    """Spans as JSON lines in a file of this process's own (no collector needed). Past
    ``max_bytes`` the file becomes ``.1`` (``.1`` becomes ``.2``, …) and only ``backups`` old
    files are kept, so the spans of a long-running system take bounded room."""

    def __init__(self, path: Path, service: str, *, max_bytes: int = MAX_BYTES,
                 backups: int = BACKUPS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.service = path, service
        self.max_bytes, self.backups = max_bytes, backups
        self._lock = _lock_for(path)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        data = "".join(json.dumps(span_record(s, self.service), ensure_ascii=False) + "\n"
                       for s in spans).encode("utf-8")
        with self._lock:
            self._rotate_before(len(data))
            with self.path.open("ab") as f:
                f.write(data)
        return SpanExportResult.SUCCESS

    def _rotate_before(self, incoming: int) -> None:
        if self.max_bytes <= 0:
            return
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0 or size + incoming <= self.max_bytes:
            return
        if self.backups <= 0:  # no old files kept: start afresh
            self.path.unlink()
            return
        for n in range(self.backups - 1, 0, -1):
            older = rotated(self.path, n)
            if older.exists():
                os.replace(older, rotated(self.path, n + 1))
        os.replace(self.path, rotated(self.path, 1))

    def shutdown(self) -> None:
        return None


def rotated(path: Path, n: int) -> Path:
    return path.with_name(f"{path.name}.{n}")


def span_files(directory: Path) -> list[Path]:
    """Every span file under ``directory``, current and rotated: by process, oldest first."""
    found = []
    for path in directory.glob("*.jsonl*"):
        if match := _SPAN_FILE.fullmatch(path.name):
            found.append(((match["base"], -int(match["n"] or 0)), path))
    return [path for _, path in sorted(found)]


def read_spans(directory: Path) -> Iterator[dict[str, Any]]:
    """The span records of every span file (a line cut short by a crash is skipped)."""
    for path in span_files(directory):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:  # rotated away while we listed
            continue
        for line in text.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def span_record(span: ReadableSpan, service: str) -> dict[str, Any]:
    ctx = span.get_span_context()
    return {
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": service,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "links": [{"trace_id": f"{link.context.trace_id:032x}",
                   "span_id": f"{link.context.span_id:016x}"} for link in span.links],
    }
