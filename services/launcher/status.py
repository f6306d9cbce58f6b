"""``onedoor status``: is every service ready, and how far behind is each of its consumers.

For each process of the topology: its readiness (``/ready``: ready, not ready with the failing
checks, or unreachable) and, per consumer (``/api/v1/ops/consumers``), its lag on the server:
messages not yet delivered plus those delivered and not yet acknowledged. Exit code 0 when
every service is ready, 1 otherwise.
"""

import argparse
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.launcher.staff import add_token_options, auth_headers
from services.launcher.topology import topology

TIMEOUT = 5.0


def add_parser(sub: argparse._SubParsersAction) -> None:
    st = sub.add_parser("status", help="readiness of every service and the lag of its consumers")
    st.add_argument("--http-port", type=int, default=8000, help="intake's port (as for 'up')")
    st.add_argument("--host", default="127.0.0.1", help="where the services listen")
    add_token_options(st)


@dataclass
class ServiceStatus:
    name: str
    url: str
    state: str  # "ready", "not ready" or "unreachable"
    failing: list[str] = field(default_factory=list)  # failing checks, or why unreachable
    consumers: list[dict[str, Any]] = field(default_factory=list)


def run(args: argparse.Namespace) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the table only, not every request
    services = {s.name: f"http://{args.host}:{s.port}" for s in topology(args.http_port)}
    with httpx.Client(timeout=TIMEOUT, headers=auth_headers(args)) as http:
        statuses = [check(http, name, url) for name, url in services.items()]
    print(render(statuses))
    ready = sum(s.state == "ready" for s in statuses)
    print(f"{ready} of {len(statuses)} service(s) ready")
    return 0 if ready == len(statuses) else 1


def check(http: httpx.Client, name: str, url: str) -> ServiceStatus:
    try:
        response = http.get(f"{url}/ready")
    except httpx.HTTPError as exc:
        return ServiceStatus(name, url, "unreachable", [exc.__class__.__name__])
    try:
        body = response.json()
        checks: dict[str, bool] = body["checks"]
    except (ValueError, KeyError, TypeError):
        return ServiceStatus(name, url, "not ready", [f"/ready answered {response.status_code}"])
    ok = response.status_code == 200 and all(checks.values())
    status = ServiceStatus(name, url, "ready" if ok else "not ready",
                           [check for check, passed in checks.items() if not passed])
    try:
        consumers = http.get(f"{url}/api/v1/ops/consumers")
        consumers.raise_for_status()
        status.consumers = consumers.json()
    except (httpx.HTTPError, ValueError) as exc:
        status.failing.append(f"consumers unknown ({exc.__class__.__name__})")
    return status


HEADER = ("SERVICE", "STATE", "CONSUMER", "PENDING", "ACK PENDING", "LAG", "DETAIL")
NUMERIC = {3, 4, 5}


def render(statuses: list[ServiceStatus]) -> str:
    """An aligned table: one line per consumer (the service named on its first line only)."""
    rows: list[tuple[str, ...]] = []
    for status in statuses:
        detail = ", ".join(status.failing)
        if not status.consumers:
            rows.append((status.name, status.state, "-", "", "", "", detail))
            continue
        for n, c in enumerate(status.consumers):
            notes = [] if c.get("bound", True) else ["not subscribed"]
            if c.get("error"):
                notes.append(c["error"])
            if n == 0 and detail:
                notes.insert(0, detail)
            rows.append((status.name if n == 0 else "", status.state if n == 0 else "",
                         c["consumer"], _number(c.get("num_pending")),
                         _number(c.get("num_ack_pending")), _number(c.get("lag")),
                         "; ".join(notes)))
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(len(HEADER))]
    lines = []
    for row in [HEADER, *rows]:
        cells = [cell.rjust(widths[i]) if i in NUMERIC else cell.ljust(widths[i])
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _number(value: Any) -> str:
    return "?" if value is None else str(value)
