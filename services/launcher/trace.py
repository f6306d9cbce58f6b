"""``onedoor trace APPLICATION_ID``: the hand-off timeline of one application.

From the span files under ``<data dir>/traces`` (every service writes its own when no collector
is configured); when there are none, from routing's transfer ledger over HTTP.
"""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from services.common.workdays import SHANGHAI
from services.launcher.topology import topology

HOPS = {"SERVER", "PRODUCER", "CONSUMER", "INTERNAL"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="the hand-off timeline of one application")
    p.add_argument("application_id")
    p.add_argument("--data-dir", type=Path, default=Path("./var"))
    p.add_argument("--http-port", type=int, default=8000, help="intake's port (as for 'up')")
    p.add_argument("--all", action="store_true", help="also the database spans")


def load_spans(data_dir: Path) -> list[dict[str, Any]]:
    spans = []
    for path in sorted((data_dir / "traces").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                spans.append(json.loads(line))
            except ValueError:
                continue  # a line cut short by a crash
    return spans


def application_spans(spans: list[dict[str, Any]],
                      application_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The application's trace (the one its first span is in) and every span of it, plus the
    requests linked to it (a decision made later is its own trace)."""
    own = sorted((s for s in spans if s["attributes"].get("onedoor.application_id") == application_id),
                 key=lambda s: s["start_ns"])
    if not own:
        return "", []
    main = own[0]["trace_id"]
    linked = {s["trace_id"] for s in own} - {main}
    return main, sorted((s for s in spans if s["trace_id"] == main or s["trace_id"] in linked),
                        key=lambda s: s["start_ns"])


def timeline(main: str, spans: list[dict[str, Any]], include_db: bool = False) -> list[str]:
    if not spans:
        return []
    origin = spans[0]["start_ns"]
    lines = [f"trace {main}", f"{'at (Asia/Shanghai)':<24}{'+ms':>9}{'took ms':>9}  "
             f"{'service':<24}{'hop':<48}{'department':<15}retries"]
    for s in spans:
        if not include_db and s["kind"] not in HOPS:
            continue
        at = datetime.fromtimestamp(s["start_ns"] / 1e9, UTC).astimezone(SHANGHAI)
        retries = max(int(s["attributes"].get("messaging.nats.delivery_count", 1)) - 1, 0)
        linked = f"  (linked, trace {s['trace_id'][:8]})" if s["trace_id"] != main else ""
        lines.append(
            f"{at:%Y-%m-%d %H:%M:%S.%f}"[:23] + f" {(s['start_ns'] - origin) / 1e6:>9.1f}"
            f"{(s['end_ns'] - s['start_ns']) / 1e6:>9.1f}  {s['service']:<24}"
            f"{s['name'] + linked:<48}{s['attributes'].get('onedoor.department', ''):<15}"
            f"{retries}")
    return lines


def run(args: argparse.Namespace) -> int:
    main, spans = application_spans(load_spans(args.data_dir), args.application_id)
    if spans:
        print("\n".join(timeline(main, spans, args.all)))
        return 0
    routing = next(s for s in topology(args.http_port) if s.name == "routing")
    try:
        ledger = httpx.get(f"http://127.0.0.1:{routing.port}/api/v1/applications/"
                           f"{args.application_id}/ledger", timeout=10).json()
    except httpx.HTTPError as exc:
        print(f"no spans under {args.data_dir / 'traces'} and routing not reachable ({exc})",
              file=sys.stderr)
        return 1
    if not isinstance(ledger, list) or not ledger:
        print(f"nothing known of application {args.application_id}", file=sys.stderr)
        return 1
    print(f"no spans under {args.data_dir / 'traces'}; from the transfer ledger:")
    for line in ledger:
        print(f"{line.get('handed_at', '')[:19]}  {line.get('from', '')} -> {line.get('to', '')}"
              f"  {line.get('item', '')}  due {line.get('due_at', '')[:19]}"
              f"  result {line.get('result') or '-'}  trace {line.get('trace_id') or '-'}")
    return 0
