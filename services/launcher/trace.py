"""``onedoor trace APPLICATION_ID`` (or its receipt number): the hand-off timeline of one
application.

From the span files under ``<data dir>/traces`` (every process writes its own when no collector
is configured, rotated files included); when there are none, from routing's transfer ledger
over HTTP. A receipt number is turned into the application's id by intake.
"""

import argparse
import sys
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from services.common.span_files import read_spans
from services.common.tracing import APPLICATION_ID, DEPARTMENT
from services.common.tracing_setup import process_name
from services.common.workdays import SHANGHAI
from services.launcher.staff import add_token_options, auth_headers
from services.launcher.topology import topology

HOPS = {"SERVER", "PRODUCER", "CONSUMER", "INTERNAL"}
TIMEOUT = 10.0
GAP = "  "  # between two columns, always
# (header, widest a value may be before it is cut, right-aligned)
COLUMNS: tuple[tuple[str, int | None, bool], ...] = (
    ("at (Asia/Shanghai)", None, False), ("+ms", None, True), ("took ms", None, True),
    ("service", 24, False), ("hop", 72, False), ("department", 16, False),
    ("retries", None, True),
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="the hand-off timeline of one application")
    p.add_argument("application_id", metavar="APPLICATION_ID_OR_RECEIPT_NO",
                   help="the application's id, or its receipt number (e.g. YD20261201-ABCDEF)")
    p.add_argument("--data-dir", type=Path, default=Path("./var"))
    p.add_argument("--http-port", type=int, default=8000, help="intake's port (as for 'up')")
    p.add_argument("--host", default="127.0.0.1", help="where the services listen")
    p.add_argument("--all", action="store_true", help="also the database spans")
    add_token_options(p, data_dir=False)


def load_spans(data_dir: Path) -> list[dict[str, Any]]:
    return list(read_spans(data_dir / "traces"))


def application_spans(spans: list[dict[str, Any]],
                      application_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The application's trace (the one its first span is in) and every span of it, plus the
    requests linked to it (a decision made later is its own trace). A span naming another
    application is left out (one request may act on several, e.g. a post's hand-over)."""
    def of(s: dict[str, Any]) -> Any:
        return (s.get("attributes") or {}).get(APPLICATION_ID)

    own = sorted((s for s in spans if of(s) == application_id), key=lambda s: s["start_ns"])
    if not own:
        return "", []
    main = own[0]["trace_id"]
    traces = {s["trace_id"] for s in own}
    return main, sorted((s for s in spans if s["trace_id"] in traces
                         and of(s) in (None, application_id)), key=lambda s: s["start_ns"])


def timeline(main: str, spans: list[dict[str, Any]], include_db: bool = False) -> list[str]:
    if not spans:
        return []
    origin = spans[0]["start_ns"]
    rows = []
    for s in spans:
        if not include_db and s["kind"] not in HOPS:
            continue
        attributes = s.get("attributes") or {}
        at = datetime.fromtimestamp(s["start_ns"] / 1e9, UTC).astimezone(SHANGHAI)
        retries = max(int(attributes.get("messaging.nats.delivery_count", 1)) - 1, 0)
        linked = f"  (linked, trace {s['trace_id'][:8]})" if s["trace_id"] != main else ""
        rows.append((f"{at:%Y-%m-%d %H:%M:%S.%f}"[:23], f"{(s['start_ns'] - origin) / 1e6:.1f}",
                     f"{((s['end_ns'] or s['start_ns']) - s['start_ns']) / 1e6:.1f}",
                     process_name(str(s.get("service", ""))), s["name"] + linked,
                     str(attributes.get(DEPARTMENT, "")), str(retries)))
    return [f"trace {main}", *table(rows)]


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Aligned columns, ``GAP`` between any two: a column is as wide as its widest value, up
    to its limit; a longer value is cut, with "…" at the end."""
    header = [c[0] for c in COLUMNS]
    widths = []
    for n, (name, limit, _) in enumerate(COLUMNS):
        widest = max([width(name), *(width(r[n]) for r in rows)])
        widths.append(max(width(name), min(widest, limit)) if limit else widest)
    lines = []
    for row in [header, *rows]:
        cells = [pad(cut(value, w), w, right) for value, w, (_, _, right)
                 in zip(row, widths, COLUMNS, strict=True)]
        lines.append(GAP.join(cells).rstrip())
    return lines


def width(text: str) -> int:
    """Columns a terminal gives ``text`` (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cut(text: str, most: int) -> str:
    if width(text) <= most:
        return text
    out, used = "", 0
    for ch in text:
        if used + width(ch) > most - 1:
            break
        out, used = out + ch, used + width(ch)
    return out + "…"


def pad(text: str, to: int, right: bool) -> str:
    space = " " * (to - width(text))
    return space + text if right else text + space


def resolve(base: str, key: str, headers: dict[str, str] | None = None) -> str | None:
    """The id of the application ``key`` names (its id or its receipt number), as intake
    knows it (asked with ``headers``: a credential that may read it); None if intake knows
    none or cannot be reached."""
    try:
        with httpx.Client(base_url=base, timeout=TIMEOUT, headers=headers) as http:
            found = http.get(f"/api/v1/applications/{quote(key, safe='')}")
            if found.status_code == 200 and isinstance(body := found.json(), dict) and body.get("id"):
                return str(body["id"])
            listed = http.get("/api/v1/applications", params={"receipt_no": key})
            if listed.status_code != 200 or not isinstance(page := listed.json(), dict):
                return None
    except (httpx.HTTPError, ValueError):
        return None
    # Only an application with this very receipt number (an intake that ignores the filter
    # lists every application).
    matches = [i for i in page.get("items") or [] if isinstance(i, dict)
               and i.get("id") and i.get("receipt_no") == key]
    return str(matches[0]["id"]) if matches else None


def run(args: argparse.Namespace) -> int:
    spans = load_spans(args.data_dir)
    application_id = args.application_id
    main, found = application_spans(spans, application_id)
    if not found:  # maybe a receipt number
        resolved = resolve(f"http://{args.host}:{args.http_port}", application_id,
                           auth_headers(args))
        if resolved and resolved != application_id:
            application_id = resolved
            print(f"{args.application_id}: application {application_id}")
            main, found = application_spans(spans, application_id)
    if found:
        print("\n".join(timeline(main, found, args.all)))
        return 0
    routing = next(s for s in topology(args.http_port) if s.name == "routing")
    try:
        ledger = httpx.get(f"http://{args.host}:{routing.port}/api/v1/applications/"
                           f"{quote(application_id, safe='')}/ledger", timeout=TIMEOUT,
                           headers=auth_headers(args)).json()
    except (httpx.HTTPError, ValueError) as exc:
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
