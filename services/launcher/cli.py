"""``onedoor``: ``up`` runs the whole system; ``run`` runs one service alone."""

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import sys
from pathlib import Path

import httpx
import uvicorn

from contracts import Department
from services.common import logs
from services.common.instance import InstanceConflict
from services.common.settings import Settings
from services.launcher import demo, natsserver, ops, policycmd, status, trace
from services.launcher.supervisor import Supervisor
from services.launcher.topology import SERVICES, topology

log = logging.getLogger("onedoor")


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    if args.command == "run":
        run_service(args)
    elif args.command == "trace":
        sys.exit(trace.run(args))
    elif args.command == "dead-letters":
        sys.exit(ops.run(args))
    elif args.command == "status":
        sys.exit(status.run(args))
    elif args.command in ("policy", "deadline"):
        sys.exit(policycmd.run(args))
    elif args.command == "up":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(up(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="onedoor", description="一门受理、协同办理 — OneDoor")
    sub = parser.add_subparsers(dest="command", required=True)

    up_ = sub.add_parser("up", help="start NATS and every service as separate processes")
    up_.add_argument("--data-dir", type=Path, default=Path("./var"))
    up_.add_argument("--http-port", type=int, default=8000,
                     help="intake's port; departments take the next six, notify and routing the two after")
    up_.add_argument("--nats-url", help="use this NATS instead of starting one")
    up_.add_argument("--nats-port", type=int, default=4222,
                     help="port of the NATS started here (a free one if this is taken)")
    up_.add_argument("--cluster", action="store_true",
                     help="start a three-node NATS cluster (JetStream replicas 3) on the "
                          "--nats-port and the two ports after it")
    up_.add_argument("--database-url", help="PostgreSQL URL (each service its own schema); "
                                            "default: SQLite files under the data directory")
    up_.add_argument("--region", default="default")
    up_.add_argument("--demo", action="store_true",
                     help="departments decide by themselves after a short pause; load sample applications")
    up_.add_argument("--auto-decide-after", type=float,
                     help="departments decide by themselves this many seconds after assignment")

    run = sub.add_parser("run", help="run one service alone")
    run.add_argument("service", choices=SERVICES)
    run.add_argument("department", nargs="?", choices=[d.value for d in Department])
    run.add_argument("--nats-url")
    run.add_argument("--database-url")
    run.add_argument("--data-dir", type=Path)
    run.add_argument("--http-port", type=int)
    run.add_argument("--region")
    run.add_argument("--auto-decide-after", type=float,
                     help="demo: decide tasks automatically this many seconds after assignment")
    ops.add_parser(sub)
    policycmd.add_parser(sub)
    status.add_parser(sub)
    trace.add_parser(sub)
    return parser


def run_service(args: argparse.Namespace) -> None:
    """Run one service in this process (what ``up`` starts for each child)."""
    overrides = {k: v for k, v in {
        "nats_url": args.nats_url, "database_url": args.database_url, "data_dir": args.data_dir,
        "port": args.http_port, "region": args.region,
        "auto_decide_after": args.auto_decide_after,
    }.items() if v is not None}
    settings = Settings(**overrides)
    if args.service == "department" and not args.department:
        sys.exit("onedoor run department: name the department, e.g. 'education'")
    # One JSON object per line (ONEDOOR_LOG_FORMAT=text: readable lines), named as in `up`.
    name = f"dept-{args.department}" if args.service == "department" else args.service
    logs.configure(name, settings.log_level, json=settings.log_format.strip().lower() != "text")
    module = importlib.import_module(f"services.{_package(args.service)}.app")
    if args.service == "department":
        app = module.create_app(settings, Department(args.department))
    else:
        app = module.create_app(settings)
    try:  # a second SQLite instance of the service: one clear line, no traceback
        asyncio.run(app.state.runtime.preflight())
    except InstanceConflict as exc:
        sys.exit(f"onedoor run {name}: {exc}")
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None,
                log_level="warning", access_log=False)


def _package(service: str) -> str:
    return "departments" if service == "department" else service


async def up(args: argparse.Namespace) -> None:
    data_dir: Path = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor()
    supervisor.install_signal_handlers()

    nats_url = args.nats_url
    nats_names: tuple[str, ...] = ()
    if not nats_url:
        port = args.nats_port if natsserver.port_is_free(args.nats_port) else natsserver.free_port()
        nodes = natsserver.cluster_nodes(port, data_dir / "nats", 3 if args.cluster else 1)
        for node in nodes:
            await supervisor.start(supervisor.add(node.name, node.command()))
        for node in nodes:
            await asyncio.to_thread(natsserver.wait_until_listening, node.port)
        nats_url = ",".join(node.url for node in nodes)
        nats_names = tuple(node.name for node in nodes)

    env = {"ONEDOOR_NATS_URL": nats_url, "ONEDOOR_DATA_DIR": str(data_dir),
           "ONEDOOR_REGION": args.region,
           "ONEDOOR_STREAM_REPLICAS": "3" if args.cluster else "1",
           "ONEDOOR_LOG_FORMAT": os.environ.get("ONEDOOR_LOG_FORMAT", "text")}  # readable after the prefix
    if args.database_url:
        env["ONEDOOR_DATABASE_URL"] = args.database_url
    if args.demo or args.auto_decide_after is not None:
        after = args.auto_decide_after if args.auto_decide_after is not None else 3
        env["ONEDOOR_AUTO_DECIDE_AFTER"] = str(after)
    specs = topology(args.http_port)
    for spec in specs:
        await supervisor.start(supervisor.add(
            spec.name, [sys.executable, "-m", "services.launcher", *spec.run_args()], env))

    print(_listing(nats_url, specs, data_dir, args.database_url), flush=True)
    intake = f"http://127.0.0.1:{args.http_port}"
    ready = asyncio.create_task(_announce_ready(specs, args.demo, intake))
    await supervisor.stopping.wait()
    ready.cancel()
    print("onedoor: stopping every service…", flush=True)
    await supervisor.stop(last=nats_names)
    print("onedoor: stopped", flush=True)


def _listing(nats_url: str, specs: list, data_dir: Path, database_url: str | None) -> str:
    lines = ["", "OneDoor 一门受理 — where everything listens:", f"  {'NATS JetStream':<24}{nats_url}"]
    lines += [f"  {s.name:<24}http://127.0.0.1:{s.port}" for s in specs]
    lines += [f"  {'data':<24}{database_url or data_dir}", "  Ctrl-C stops everything.", ""]
    return "\n".join(lines)


async def _announce_ready(specs: list, demo_mode: bool, intake: str) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for spec in specs:
            while True:
                try:
                    if (await client.get(f"http://127.0.0.1:{spec.port}/ready")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
    log.info("every service is ready; the window is at %s/docs", intake)
    if demo_mode:
        loaded = await asyncio.to_thread(demo.submit_samples, intake)
        for app in loaded:
            log.info("demo application %s (%s): %s/api/v1/applications/%s", app["receipt_no"],
                     "、".join(i["item_name"] for i in app["items"]), intake, app["id"])
        log.info("departments decide these automatically in a few seconds; watch them complete")
