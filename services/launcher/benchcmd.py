"""``onedoor bench``: the ceiling, the whole system on SQLite and PostgreSQL, and the system at
rest, in one go (the ``bench`` package of a source checkout does the work)."""

import argparse
import sys
from pathlib import Path

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure throughput, latency and the cost at rest",
                       description="The raw JetStream ceiling, then the whole system as "
                                   "processes on SQLite and on PostgreSQL (when reachable), "
                                   "then the system at rest; prints a table.")
    p.add_argument("--applications", type=int, default=2000,
                   help="applications per database, three items each")
    p.add_argument("--concurrency", type=int, default=32, help="POSTs in flight at once")
    p.add_argument("--rate", type=float,
                   help="submit at most this many applications per second, e.g. 70%% of a "
                        "measured end-to-end rate for latency below saturation (default: as "
                        "fast as they are taken)")
    p.add_argument("--ceiling-messages", type=int, default=20_000,
                   help="messages of the raw one-hop test")
    p.add_argument("--at-rest-seconds", type=float, default=30.0,
                   help="how long the system at rest is measured")
    p.add_argument("--settle-seconds", type=float, default=10.0,
                   help="wait between the system at rest being ready and its measurement")
    p.add_argument("--database-url", default=PG_URL,
                   help="the PostgreSQL of the second run, in a schema prefix of its own, "
                        "dropped at the end; skipped when not reachable")
    p.add_argument("--no-postgres", action="store_true",
                   help="SQLite only (default: PostgreSQL too, when reachable)")
    p.add_argument("--history", type=int, default=0, metavar="N",
                   help="then each database again, holding about N past applications first "
                        "(e.g. 1000000; copies of a first load's rows): the figures beside "
                        "the empty run's (default: not run)")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="write the figures here (default: not written)")
    p.add_argument("--chart", type=Path, metavar="FILE.png",
                   help="draw throughput and latency over time here (default: not drawn)")
    p.add_argument("--keep", action="store_true",
                   help="keep the data and logs of the runs (default: removed unless a "
                        "count does not match)")


def run(args: argparse.Namespace) -> int:
    # `onedoor` installed from a checkout (make's editable install) finds the package next
    # to services/; an installed image has none.
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "bench" / "suite.py").exists() and str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        from bench import suite
    except ImportError:
        print("onedoor bench: needs the bench package of a source checkout (make bench)",
              file=sys.stderr)
        return 2
    plan = suite.Plan(applications=args.applications, concurrency=args.concurrency,
                      rate=args.rate,
                      ceiling_messages=args.ceiling_messages,
                      at_rest_seconds=args.at_rest_seconds, settle_seconds=args.settle_seconds,
                      database_url=None if args.no_postgres else args.database_url,
                      history=args.history, json_path=args.json, chart_path=args.chart, keep=args.keep)
    return suite.run(plan)
