"""``onedoor nats``: the closed bus for a NATS that ``up`` does not start (docker-compose).

- ``onedoor nats config --out deploy/nats/secrets``: the users, their permissions (from the
  code, for ``--region``), the store's key, the route user and routes, as the files
  deploy/nats/nats-N.conf include; and each process's credentials file. Made once, kept.
- ``onedoor nats declare --nats-url … --nats-credentials admin.json``: as the admin, the
  stream, the owners bucket and every durable, before the services start.
"""

import argparse
import asyncio
import sys
from pathlib import Path

from services.launcher import natscompose, natsconfig
from services.launcher.natsdeclare import DeclareFailed, declare
from services.launcher.natsperms import bus_users
from services.launcher.preflight import CONFIG_ERROR, ConfigError, check_region, check_settings
from services.launcher.topology import topology


def add_parser(sub: argparse._SubParsersAction) -> None:
    nats = sub.add_parser("nats", help="the closed bus of a NATS 'up' does not start "
                                       "(users, permissions, declarations)")
    nats.add_argument("action", choices=["config", "declare"],
                      help="config: write the secret files deploy/nats/*.conf include; "
                           "declare: create the stream, bucket and durables as the admin")
    nats.add_argument("--out", type=Path, default=Path("deploy/nats/secrets"),
                      help="config: where to write them")
    nats.add_argument("--routes", default=",".join(natscompose.COMPOSE_ROUTES),
                      help="config: host:port of every server's routes, separated by commas")
    nats.add_argument("--region", default=None, help="region policy (default: ONEDOOR_REGION, "
                                                     "else default)")
    nats.add_argument("--nats-url", default=None,
                      help="declare: the servers (default: ONEDOOR_NATS_URL)")
    nats.add_argument("--nats-credentials", type=Path, default=None,
                      help="declare: the admin's credentials file (default: "
                           "ONEDOOR_NATS_CREDENTIALS)")
    nats.add_argument("--replicas", type=int, default=None,
                      help="declare: copies of the stream (default: ONEDOOR_STREAM_REPLICAS)")


def run(args: argparse.Namespace) -> int:
    overrides = {k: v for k, v in {"region": args.region, "nats_url": args.nats_url,
                                   "nats_credentials": args.nats_credentials,
                                   "stream_replicas": args.replicas}.items() if v is not None}
    try:
        settings = check_settings(**overrides)
        settings = settings.model_copy(update={"region": check_region(settings.region)})
    except ConfigError as exc:
        print(f"onedoor nats: {exc}", file=sys.stderr)
        return CONFIG_ERROR
    users = bus_users(settings, topology(8000))
    if args.action == "config":
        routes = tuple(r.strip() for r in args.routes.split(",") if r.strip())
        for path in natscompose.configure_compose(args.out, users, routes):
            print(path)
        print(args.out / natsconfig.CREDENTIALS)
        return 0
    if settings.nats_credentials is None:
        print("onedoor nats declare: give the admin's credentials (--nats-credentials)",
              file=sys.stderr)
        return CONFIG_ERROR
    try:
        asyncio.run(declare(settings.nats_servers, settings.nats_credentials, users,
                            replicas=settings.stream_replicas, ca_file=settings.nats_ca_file))
    except DeclareFailed as exc:
        print(f"onedoor nats declare: {exc}", file=sys.stderr)
        return 1
    print(f"declared the stream, the owners bucket and {sum(len(u.durables) for u in users)} "
          f"durable consumers on {settings.nats_url}")
    return 0
