"""The closed bus of docker-compose.yml: deploy/nats/nats-N.conf are committed, and include
the secret half this writes (``onedoor nats config``), made as ``up`` makes its own
(natsconfig.py): the users and their permissions, the store's key, the route user and the
routes, and each process's credentials file."""

import json
from pathlib import Path
from typing import Any

from services.common.natsauth import write_private
from services.launcher.natsconfig import CREDENTIALS, BusSecrets, authorization, cluster_block
from services.launcher.natsperms import ADMIN, BusUser

# docker-compose.yml's servers, where each listens for the others' routes.
COMPOSE_ROUTES = ("nats-1:6222", "nats-2:6222", "nats-3:6222")


def write_include(path: Path, key: str, value: Any) -> Path:
    """A file for nats-server's ``include``: one ``key: value`` (JSON is its own syntax)."""
    write_private(path, f"# Written by 'onedoor nats config': do not edit.\n"
                        f"{key}: {json.dumps(value, indent=2, ensure_ascii=False)}\n")
    return path


def configure_compose(out: Path, users: list[BusUser],
                      routes: tuple[str, ...] = COMPOSE_ROUTES) -> list[Path]:
    """The secret half of deploy/nats/nats-N.conf, into ``out`` (they ``include`` it): the
    users and their permissions, the store's key, the route user and the routes; and each
    process's credentials file in ``out/credentials``. Made once, kept on later runs."""
    bus = BusSecrets(out / CREDENTIALS)
    bus.secure()
    for user in [ADMIN, *(u.name for u in users)]:
        bus.credentials(user)
    route = bus.route()
    block = cluster_block("", list(routes), route)
    return [write_include(out / "users.conf", "authorization", authorization(users, bus)),
            write_include(out / "jetstream-key.conf", "key", bus.store_key([])),
            write_include(out / "route-auth.conf", "authorization", block["authorization"]),
            # Every node, itself too: a server recognises its own route and skips it.
            write_include(out / "routes.conf", "routes", block["routes"])]
