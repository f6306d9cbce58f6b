"""The options of ``onedoor up`` and ``onedoor run``, each with its help and its default.

Every command's parser is a ``Parser``: its help shows ``(default: …)`` for an option that
takes a value, unless the help text already says ``(default…`` itself.
"""

import argparse
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from contracts import Department
from services.common.policy import known_regions
from services.common.settings import Settings
from services.launcher.topology import SERVICES, SIZE, topology


class HelpFormatter(argparse.HelpFormatter):
    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        takes_value = action.nargs != 0 and action.option_strings
        if (takes_value and "(default" not in text and not action.required
                and action.default not in (None, argparse.SUPPRESS)):
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def onedoor_version() -> str:
    try:
        return version("onedoor")
    except PackageNotFoundError:  # a source tree used without installing it
        return "unknown"


def region_help() -> str:
    return f"region policy: {', '.join(known_regions())}, or a policy file (.toml)"


def http_port_help() -> str:
    """The ports the system takes, from the topology itself."""
    specs = topology(0)
    departments = sum(s.department not in (None, Department.window.value) for s in specs)
    window = next(s.port for s in specs if s.department == Department.window.value)
    offsets = ", ".join(f"{s.name} +{s.port}" for s in specs[1:] if s.department is None)
    return (f"intake's port, the first of the {SIZE} the system takes: {departments} "
            f"departments on the next {departments}, then {offsets}, and the window post "
            f"(dept-window: the items the window settles itself) +{window}")


def add_up(sub: argparse._SubParsersAction) -> None:
    up = sub.add_parser("up", help="start NATS and every service as separate processes",
                        description="Start a local NATS JetStream and every service, each its "
                                    "own process; Ctrl-C stops them all.")
    up.add_argument("--data-dir", type=Path, default=Path("./var"),
                    help="SQLite files, NATS's store and the span files go here "
                         "(default: ./var)")
    up.add_argument("--http-port", type=int, default=8000, help=http_port_help())
    up.add_argument("--nats-url", help="use this NATS (nats://host:port, several separated by "
                                       "commas) instead of starting one (default: start one)")
    up.add_argument("--nats-port", type=int, default=4222,
                    help="port of the NATS started here; a free one if this is taken")
    up.add_argument("--cluster", action="store_true",
                    help="start a three-node NATS cluster (JetStream replicas 3) on the "
                         "--nats-port and the two ports after it (default: one server)")
    up.add_argument("--database-url", help="PostgreSQL, postgresql+psycopg://user@host/db, each "
                                           "service in its own schema (default: a SQLite file "
                                           "per service under the data directory)")
    up.add_argument("--replicas", metavar="SERVICE=N,...",
                    help="several copies of a service, PostgreSQL only: 'department=3' runs "
                         "every department (the window's post too) three times, a department "
                         "by name ('civil_affairs=2') overrides that, also intake, routing, "
                         "notify. The copies share the service's durable consumers, schema and "
                         "port (SO_REUSEPORT); each also listens on a port of its own, after "
                         f"the {SIZE} (readiness, metrics) (default: one of each)")
    up.add_argument("--region", default="default", help=region_help())
    up.add_argument("--demo", action="store_true",
                    help="load four sample applications and let the departments decide by "
                         "themselves (by an income line) 3 seconds after assignment "
                         "(default: off)")
    up.add_argument("--auto-decide-after", type=float, metavar="SECONDS",
                    help="departments decide by themselves this many seconds after assignment "
                         "(default: never; 3 with --demo)")


def _setting(name: str) -> str:
    """Where ``onedoor run`` takes an option from when it is not given."""
    default = Settings.model_fields[name].default
    return f"(default: ONEDOOR_{name.upper()}, else {default})"


def add_run(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run one service alone",
                         description="Run one service in this process (what 'up' starts for "
                                     "each child); settings also from ONEDOOR_* variables.")
    run.add_argument("service", choices=SERVICES, help="which service")
    run.add_argument("department", nargs="?", choices=[d.value for d in Department],
                     help="with 'department': which one")
    run.add_argument("--nats-url", help=f"NATS URL, several separated by commas {_setting('nats_url')}")
    run.add_argument("--nats-credentials", type=Path, metavar="FILE",
                     help="this process's NATS user, a JSON file {\"user\", \"password\"} as "
                          "'onedoor up' writes one per process under <data dir>/nats/credentials "
                          "(default: ONEDOOR_NATS_CREDENTIALS, else none: an open NATS)")
    run.add_argument("--database-url", help="PostgreSQL URL (default: ONEDOOR_DATABASE_URL, "
                                            "else a SQLite file under the data directory)")
    run.add_argument("--data-dir", type=Path, help=f"data directory {_setting('data_dir')}")
    run.add_argument("--http-port", type=int, help=f"HTTP port {_setting('port')}")
    run.add_argument("--region", help=f"{region_help()} {_setting('region')}")
    run.add_argument("--instance-port", type=int, metavar="PORT",
                     help="this copy's own port (readiness, metrics of this copy alone); with "
                          "it, --http-port is shared with the service's other copies "
                          "(SO_REUSEPORT; PostgreSQL only) (default: none, one copy)")
    run.add_argument("--auto-decide-after", type=float, metavar="SECONDS",
                     help="demo: decide tasks automatically this many seconds after assignment "
                          "(default: ONEDOOR_AUTO_DECIDE_AFTER, else never)")


def add_version(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"onedoor {onedoor_version()}",
                        help="print the version and exit")
