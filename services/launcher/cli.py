"""``onedoor``: ``up`` runs the whole system; ``run`` runs one service alone; the rest ask it.

Log lines of the commands that answer a question (``status``, ``dead-letters``, ``policy``,
``deadline``, ``trace``, ``audit``) go to stderr, so that their stdout holds their answer alone
and can be piped; ``up`` is a console, its own lines and its children's on stdout.
"""

import argparse
import asyncio
import importlib
import os
import sys

from contracts import Department
from services.common import logs
from services.common.crypto import KeyProblem
from services.common.instance import InstanceConflict
from services.launcher import (
    audit,
    benchcmd,
    keys,
    natscmd,
    ops,
    options,
    policycmd,
    replicas,
    staff,
    status,
    trace,
)
from services.launcher.preflight import (
    CONFIG_ERROR,
    ConfigError,
    check_database_url,
    check_port,
    check_region,
    check_settings,
)
from services.launcher.serve import serve
from services.launcher.up import up

# Help for options a command's own parser leaves without it.
_FALLBACK_HELP = {
    "application_id": "the application's id (as in its combined view)",
    "--data-dir": "the data directory 'up' was given",
    "--http-port": "intake's port (as for 'up')",
    "--host": "where the services listen",
}


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command in ("up", "run", "keys"):
        # Whatever these write (databases, key files, span files, the SMS sink, NATS's store)
        # is readable by this user only.
        os.umask(0o077)
    if args.command == "run":
        run_service(args)
        return
    logs.configure_console(sys.stdout if args.command == "up" else sys.stderr)
    if args.command == "trace":
        sys.exit(trace.run(args))
    elif args.command == "dead-letters":
        sys.exit(ops.run(args))
    elif args.command == "status":
        sys.exit(status.run(args))
    elif args.command == "nats":
        sys.exit(natscmd.run(args))
    elif args.command in ("policy", "deadline"):
        sys.exit(policycmd.run(args))
    elif args.command == "keys":
        sys.exit(keys.run(args))
    elif args.command == "staff":
        sys.exit(staff.run(args))
    elif args.command == "audit":
        sys.exit(audit.run(args))
    elif args.command == "bench":
        sys.exit(benchcmd.run(args))
    elif args.command == "up":
        try:
            sys.exit(asyncio.run(up(args)))
        except KeyboardInterrupt:  # a second Ctrl-C while stopping
            sys.exit(130)


def _parser() -> argparse.ArgumentParser:
    parser = options.Parser(prog="onedoor", description="一门受理、协同办理 — OneDoor")
    options.add_version(parser)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=options.Parser,
                                metavar="COMMAND")
    options.add_up(sub)
    options.add_run(sub)
    audit.add_parser(sub)
    benchcmd.add_parser(sub)
    keys.add_parser(sub)
    ops.add_parser(sub)
    natscmd.add_parser(sub)
    policycmd.add_parser(sub)
    staff.add_parser(sub)
    status.add_parser(sub)
    trace.add_parser(sub)
    for command in sub.choices.values():
        for action in command._actions:
            key = action.option_strings[0] if action.option_strings else action.dest
            if not action.help and key in _FALLBACK_HELP:
                action.help = _FALLBACK_HELP[key]
    return parser


def run_service(args: argparse.Namespace) -> None:
    """Run one service in this process (what ``up`` starts for each child)."""
    name = f"dept-{args.department}" if args.service == "department" else args.service
    if args.service == "department" and not args.department:
        sys.exit("onedoor run department: name the department, e.g. 'education'")
    overrides = {k: v for k, v in {
        "nats_url": args.nats_url, "nats_credentials": args.nats_credentials,
        "database_url": args.database_url, "data_dir": args.data_dir,
        "port": args.http_port, "region": args.region,
        "auto_decide_after": args.auto_decide_after,
    }.items() if v is not None}
    try:
        settings = check_settings(**overrides)
        check_region(settings.region)
        check_database_url(settings.database_url)
        if args.instance_port is None:
            check_port(settings.port, settings.host)
        else:  # a copy: the service's port is its copies' to share
            check_port(args.instance_port, settings.host)
            listening = replicas.sockets(settings.host, settings.port, args.instance_port)
        keys.private_data_dir(settings.data_dir)
    except (ConfigError, OSError) as exc:
        # One line and a code the supervisor of `up` does not restart: it would fail again.
        print(f"onedoor run {name}: {exc}", file=sys.stderr)
        sys.exit(CONFIG_ERROR)
    # One JSON object per line (ONEDOOR_LOG_FORMAT=text: readable lines), named as in `up`.
    logs.configure(name, settings.log_level, json=settings.log_format.strip().lower() != "text")
    module = importlib.import_module(f"services.{_package(args.service)}.app")
    # A second SQLite instance of the service, or a key missing, wrong or not opening its
    # data: one clear line, no traceback, no restart.
    try:
        if args.service == "department":
            app = module.create_app(settings, Department(args.department))
        else:
            app = module.create_app(settings)
        asyncio.run(app.state.runtime.preflight())
    except (InstanceConflict, KeyProblem) as exc:
        print(f"onedoor run {name}: {exc}", file=sys.stderr)
        sys.exit(CONFIG_ERROR)
    serve(app, settings.host, settings.port,
          sockets=listening if args.instance_port is not None else None)


def _package(service: str) -> str:
    return "departments" if service == "department" else service
