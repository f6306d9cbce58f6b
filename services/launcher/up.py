"""``onedoor up``: check the configuration, start NATS and every service, stop them on Ctrl-C."""

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

import httpx

from contracts import Department
from services.accounts.demo import demo_accounts
from services.accounts.store import AccountStore
from services.common import keystore
from services.common.crypto import KeyProblem
from services.common.policy import Policy, load_policy
from services.common.settings import Settings
from services.launcher import demo, natsconfig, natsdeclare, natsserver, replicas, staff
from services.launcher.keys import private_data_dir
from services.launcher.natsperms import ADMIN, bus_users
from services.launcher.preflight import (
    CONFIG_ERROR,
    ConfigError,
    check_database_url,
    check_ports,
    check_region,
    check_settings,
)
from services.launcher.supervisor import Supervisor
from services.launcher.topology import ProcessSpec, topology

log = logging.getLogger("onedoor")


def preflight(args: argparse.Namespace) -> tuple[Settings, list[ProcessSpec], list[ProcessSpec]]:
    """The settings the services will have (their region too), the services, and every
    process with where it listens (copies too), once everything is checked."""
    settings = check_settings()  # the ONEDOOR_* variables every child will read
    region = check_region(args.region)
    check_database_url(args.database_url)
    specs = topology(args.http_port)
    counts = replicas.parse(args.replicas, specs)
    replicas.require_postgresql(counts, args.database_url or settings.database_url)
    processes = replicas.expand(specs, counts)
    check_ports(specs)
    replicas.check_own_ports(processes)
    try:
        private_data_dir(args.data_dir)
        # Before any child: the key files they share (unless the keys come from ONEDOOR_*_KEY),
        # made once here rather than raced for by ten processes.
        keystore.ensure_key_files(args.data_dir, settings.key_values())
        keystore.load(args.data_dir, settings.key_values(), bus=True, create=False)
    except OSError as exc:
        raise ConfigError(f"--data-dir {args.data_dir}: {exc.strerror}") from None
    except KeyProblem as exc:
        raise ConfigError(str(exc)) from None
    return settings.model_copy(update={"region": region,
                                       "stream_replicas": 3 if args.cluster else 1}), specs, \
        processes


async def up(args: argparse.Namespace) -> int:
    """Run the system until Ctrl-C (exit 0) or a child's configuration error (``CONFIG_ERROR``)."""
    try:
        settings, specs, processes = preflight(args)
    except ConfigError as exc:
        print(f"onedoor up: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    region = settings.region
    data_dir: Path = args.data_dir.resolve()
    try:
        await prepare_accounts(data_dir, args.database_url, load_policy(region), args.demo)
    except Exception as exc:  # e.g. PostgreSQL refusing: one line, as for other set-up
        print(f"onedoor up: the accounts store: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    supervisor = Supervisor()
    supervisor.install_signal_handlers()

    nats_url = args.nats_url
    nats_names: tuple[str, ...] = ()
    credentials: dict[str, Path] = {}
    if not nats_url:  # a closed bus of our own: its users, permissions and declarations
        nats_dir = data_dir / "nats"
        port = args.nats_port if natsserver.port_is_free(args.nats_port) else natsserver.free_port()
        nodes = natsserver.cluster_nodes(port, nats_dir, 3 if args.cluster else 1)
        users = await asyncio.to_thread(bus_users, settings, specs)
        try:
            configs = natsconfig.configure(nats_dir, nodes, users)
        except natsconfig.StoreKeyLost as exc:
            print(f"onedoor up: {exc}", file=sys.stderr)
            return CONFIG_ERROR
        for node, config in zip(nodes, configs, strict=True):
            await supervisor.start(supervisor.add(node.name, node.command(config)))
        for node in nodes:
            await asyncio.to_thread(natsserver.wait_until_listening, node.port)
        nats_url = ",".join(node.url for node in nodes)
        nats_names = tuple(node.name for node in nodes)
        try:  # the stream and every durable exist before any service starts
            await natsdeclare.declare([n.url for n in nodes],
                                      natsconfig.credentials_of(nats_dir, ADMIN), users,
                                      replicas=settings.stream_replicas)
        except natsdeclare.DeclareFailed as exc:
            print(f"onedoor up: {exc}", file=sys.stderr)
            await supervisor.stop(last=nats_names)
            return CONFIG_ERROR
        credentials = {u.name: natsconfig.credentials_of(nats_dir, u.name) for u in users}

    env = {"ONEDOOR_NATS_URL": nats_url, "ONEDOOR_DATA_DIR": str(data_dir),
           "ONEDOOR_REGION": region,
           "ONEDOOR_STREAM_REPLICAS": "3" if args.cluster else "1",
           "ONEDOOR_LOG_FORMAT": os.environ.get("ONEDOOR_LOG_FORMAT", "text")}  # readable after the prefix
    env["ONEDOOR_PEER_URLS"] = peer_urls(specs)
    if args.database_url:
        env["ONEDOOR_DATABASE_URL"] = args.database_url
    if args.demo or args.auto_decide_after is not None:
        after = args.auto_decide_after if args.auto_decide_after is not None else 3
        env["ONEDOOR_AUTO_DECIDE_AFTER"] = str(after)
    for spec in processes:  # the copies of a service are its NATS user, each
        own = {"ONEDOOR_NATS_CREDENTIALS": str(credentials[spec.name])} if credentials else {}
        await supervisor.start(supervisor.add(
            spec.label, [sys.executable, "-m", "services.launcher", *spec.run_args()], env | own))

    print(_listing(nats_url, processes, data_dir, args.database_url, bool(credentials)),
          flush=True)
    intake = f"http://127.0.0.1:{args.http_port}"
    ready = asyncio.create_task(_announce_ready(processes, args.demo, intake, region, data_dir))
    await supervisor.stopping.wait()
    ready.cancel()
    print("onedoor: stopping every service…", flush=True)
    await supervisor.stop(last=nats_names)
    print("onedoor: stopped", flush=True)
    if supervisor.failure:
        name, line = supervisor.failure
        print(f"onedoor up: {name} cannot start: {line}", file=sys.stderr)
        return CONFIG_ERROR
    return 0


async def prepare_accounts(data_dir: Path, database_url: str | None, policy: Policy,
                           with_demo: bool) -> None:
    """The identity store migrated; ``<data-dir>/ops-token`` for the commands that ask the
    services (status, dead-letters, trace); with the demo, one account per role and
    department, written to ``demo-tokens.json`` and ``demo-accounts.json`` (reused next time)."""
    store = AccountStore(staff.settings_for(data_dir, database_url))
    try:
        await store.open()
        await staff.ensure_ops_token(store, data_dir)
        if with_demo:
            holders: dict[str, list[str]] = {}
            for post in policy.posts.values():
                holders.setdefault(str(post.department), []).extend([post.a, post.b])
            supervisor = (policy.supervision.supervisors or ["supervisor-demo"])[0]
            await staff.ensure_demo(store, data_dir, demo_accounts(
                [d.value for d in Department], supervisor, holders))
    finally:
        await store.close()


def peer_urls(specs: list[ProcessSpec]) -> str:
    """``ONEDOOR_PEER_URLS``: where the screens (served by intake) reach each service."""
    return json.dumps({s.name: f"http://127.0.0.1:{s.port}" for s in specs})


def _listing(nats_url: str, specs: list[ProcessSpec], data_dir: Path, database_url: str | None,
             closed: bool) -> str:
    lines = ["", "OneDoor 一门受理 — where everything listens:", f"  {'NATS JetStream':<24}{nats_url}"]
    if closed:
        lines.append(f"  {'NATS users':<24}{data_dir / 'nats' / natsconfig.CREDENTIALS} "
                     f"(admin.json: the admin's)")
    lines.append(f"  {'screens (people)':<24}http://127.0.0.1:{specs[0].port}/")
    lines += replicas.listing(specs)
    lines += [f"  {'data':<24}{database_url or data_dir}", "  Ctrl-C stops everything.", ""]
    return "\n".join(lines)


async def _announce_ready(specs: list[ProcessSpec], demo_mode: bool, intake: str, region: str,
                          data_dir: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for url in replicas.readiness_urls(specs):  # each copy of a service on its own port
            while True:
                try:
                    if (await client.get(f"{url}/ready")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
    log.info("every service is ready: people open %s/ (the screens; the API: %s/docs)", intake,
             intake)
    if demo_mode:
        token = staff.read_demo_token(data_dir, "window")
        loaded = await asyncio.to_thread(demo.submit_samples, intake, None, load_policy(region),
                                         token)
        for app in loaded:
            log.info("demo application %s (%s): %s/api/v1/applications/%s", app["receipt_no"],
                     "、".join(i["item_name"] for i in app["items"]), intake, app["id"])
        log.info("departments decide these automatically in a few seconds; watch them complete")
        log.info("sign in with %s (a bearer token per role and department) or %s",
                 data_dir / staff.DEMO_TOKENS, data_dir / staff.DEMO_ACCOUNTS)
