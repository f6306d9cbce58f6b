"""``onedoor``: ``up`` runs the whole system; ``run`` runs one service alone; the rest ask it.

Log lines of the commands that answer a question (``status``, ``dead-letters``, ``policy``,
``deadline``, ``trace``, ``audit``) go to stderr, so that their stdout holds their answer alone
and can be piped; ``up`` is a console, its own lines and its children's on stdout.

``run`` is what every child of ``up`` is: it imports its own parser and its service alone, not
the other commands' modules (HTTP clients, the demo, the audit checker), which would stay
resident for the process's life.
"""

import argparse
import asyncio
import importlib
import os
import sys
from types import ModuleType

from services.launcher import options

# The modules of the other commands, each with its ``add_parser`` and ``run``, in help order.
_MODULES = ("audit", "benchcmd", "keys", "ops", "natscmd", "policycmd", "staff", "status", "trace")
# The command -> its module, where the two differ.
_MODULE_OF = {"bench": "benchcmd", "dead-letters": "ops", "nats": "natscmd",
              "deadline": "policycmd", "policy": "policycmd"}

# Help for options a command's own parser leaves without it.
_FALLBACK_HELP = {
    "application_id": "the application's id (as in its combined view)",
    "--data-dir": "the data directory 'up' was given",
    "--http-port": "intake's port (as for 'up')",
    "--host": "where the services listen",
}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    # Each child of `up` is a `run`: its parser alone, without importing every other command.
    args = _parser(only_run=argv[:1] == ["run"]).parse_args(argv)
    if args.command in ("up", "run", "keys"):
        # Whatever these write (databases, key files, span files, the SMS sink, NATS's store)
        # is readable by this user only.
        os.umask(0o077)
    if args.command == "run":
        run_service(args)
        return
    from services.common import logs

    logs.configure_console(sys.stdout if args.command == "up" else sys.stderr)
    if args.command == "up":
        from services.launcher.up import up

        try:
            sys.exit(asyncio.run(up(args)))
        except KeyboardInterrupt:  # a second Ctrl-C while stopping
            sys.exit(130)
    sys.exit(_command(args.command).run(args))


def _command(name: str) -> ModuleType:
    return importlib.import_module(f"services.launcher.{_MODULE_OF.get(name, name)}")


def _parser(*, only_run: bool = False) -> argparse.ArgumentParser:
    """Every command's parser; ``only_run``: the same with ``run`` alone (a service process)."""
    parser = options.Parser(prog="onedoor", description="一门受理、协同办理 — OneDoor")
    options.add_version(parser)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=options.Parser,
                                metavar="COMMAND")
    if only_run:
        options.add_run(sub)
        return parser
    options.add_up(sub)
    options.add_run(sub)
    for module in _MODULES:
        importlib.import_module(f"services.launcher.{module}").add_parser(sub)
    for command in sub.choices.values():
        for action in command._actions:
            key = action.option_strings[0] if action.option_strings else action.dest
            if not action.help and key in _FALLBACK_HELP:
                action.help = _FALLBACK_HELP[key]
    return parser


def run_service(args: argparse.Namespace) -> None:
    """Run one service in this process (what ``up`` starts for each child)."""
    from contracts import Department
    from services.common import logs
    from services.common.crypto import KeyProblem
    from services.common.instance import InstanceConflict
    from services.launcher import replicas
    from services.launcher.keys import private_data_dir
    from services.launcher.migrate_apart import migrate_apart
    from services.launcher.preflight import (
        CONFIG_ERROR,
        ConfigError,
        check_database_url,
        check_port,
        check_region,
        check_settings,
    )
    from services.launcher.serve import serve

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
        private_data_dir(settings.data_dir)
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
    # Alembic only in a child for the time it takes: this process serves for weeks.
    migrate_apart([app.state.runtime.db, app.state.authenticator.store.db])
    serve(app, settings.host, settings.port,
          sockets=listening if args.instance_port is not None else None)


def _package(service: str) -> str:
    return "departments" if service == "department" else service
