"""The nats-server configuration of a closed bus: one user per process, each with the
permissions its code needs (natsperms.py), an admin, authenticated routes, and JetStream's
store encrypted at rest.

The secrets are made once and kept in ``<data dir>/nats/credentials`` (directory 0700, files
0600), then reused on every start: a JSON file per user (``{"user", "password"}``, what a
process is given as ``ONEDOOR_NATS_CREDENTIALS``, with the password's bcrypt hash, which is all
the server's configuration holds), the route password and the store's key. The configuration
itself is written again at each start (the permissions follow the code and the region), 0600.

nats-server reads JSON as its own configuration format, so the file is a comment and JSON.
A store written before encryption was on is encrypted by the server at its next start; a
store encrypted with a key that is gone cannot be read, and is refused in one line.
"""

import json
import secrets
from pathlib import Path
from typing import Any

import bcrypt

from services.common.natsauth import DIR_MODE, NatsCredentials, write_private
from services.launcher.natsperms import ADMIN, BusUser, admin_permissions
from services.launcher.natsserver import Node

CREDENTIALS = "credentials"
KEY_FILE = "jetstream.key"
ROUTE_USER = "route"
CIPHER = "chachapoly"
# The server checks the hash at every connection (ten processes connect at once, and again
# after each NATS restart): at bcrypt's usual cost 11 that took seconds per connection on a
# busy two-core machine. Stretching makes a guessable password expensive to guess; these
# are 256 random bits, which no cost factor makes any harder to find.
BCRYPT_COST = 4
CLUSTER_NAME = "onedoor"


class StoreKeyLost(RuntimeError):
    """An encrypted store whose key file is gone: the one line to show."""


class BusSecrets:
    """The secrets of one bus, in ``directory``: made on first use, the same ever after."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def credentials(self, user: str) -> Path:
        """The credentials file of ``user`` (made now if it is not there yet)."""
        path = self.directory / f"{user}.json"
        if not path.exists():
            password = secrets.token_urlsafe(32)
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
            NatsCredentials(user, password).save(path, password_bcrypt=hashed)
        return path

    def password_hash(self, user: str) -> str:
        """What the server's configuration holds of ``user``'s password."""
        data = json.loads(self.credentials(user).read_text(encoding="utf-8"))
        if "password_bcrypt" not in data:  # a file an operator wrote by hand
            data["password_bcrypt"] = bcrypt.hashpw(data["password"].encode(),
                                                    bcrypt.gensalt(BCRYPT_COST)).decode()
        return str(data["password_bcrypt"])

    def route(self) -> NatsCredentials:
        """The user and password the servers of a cluster present to each other."""
        return NatsCredentials.load(self.credentials(ROUTE_USER))

    def store_key(self, stores: list[Path]) -> str:
        """The key of JetStream's encryption at rest; a new one only for stores it never
        encrypted (an encrypted one without its key: StoreKeyLost)."""
        path = self.directory / KEY_FILE
        if path.exists():
            return path.read_text(encoding="utf-8").strip()
        encrypted = [s for s in stores if any((s / "jetstream").glob("*/streams/*/meta.key"))]
        if encrypted:
            raise StoreKeyLost(
                f"the NATS store {encrypted[0]} is encrypted, and its key {path} is gone: put "
                f"the key file back, or move the store away to start with an empty one")
        write_private(path, secrets.token_hex(32) + "\n")
        return path.read_text(encoding="utf-8").strip()

    def secure(self) -> None:
        """The directory readable by its owner only (made so if it is new)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        self.directory.chmod(DIR_MODE)


def authorization(users: list[BusUser], bus: BusSecrets) -> dict[str, Any]:
    """Every process's user and the admin. No ``no_auth_user``: anonymous clients are refused."""
    entries = [{"user": ADMIN, "password": bus.password_hash(ADMIN),
                "permissions": admin_permissions()}]
    entries += [{"user": u.name, "password": bus.password_hash(u.name),
                 "permissions": u.permissions()} for u in users]
    return {"users": entries}


def cluster_block(listen: str, routes: list[str], route: NatsCredentials) -> dict[str, Any]:
    """The routes to the other servers, each side presenting the route user."""
    block: dict[str, Any] = {
        "name": CLUSTER_NAME, "listen": listen,
        "authorization": {"user": route.user, "password": route.password},
        "routes": [f"nats-route://{route.user}:{route.password}@{r}" for r in routes]}
    return block


def server_config(*, name: str, listen: str, store_dir: Path, users: list[BusUser],
                  bus: BusSecrets, key: str,
                  cluster: dict[str, Any] | None = None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "server_name": name, "listen": listen,
        "jetstream": {"store_dir": str(store_dir), "cipher": CIPHER, "key": key},
        "authorization": authorization(users, bus),
    }
    if cluster is not None:
        config["cluster"] = cluster
    return config


def render(config: dict[str, Any], title: str) -> str:
    return (f"# {title}\n# Written by onedoor at each start (users and permissions follow the "
            f"code): do not edit.\n{json.dumps(config, indent=2, ensure_ascii=False)}\n")


def write(path: Path, config: dict[str, Any], title: str) -> Path:
    write_private(path, render(config, title))
    return path


def configure(nats_dir: Path, nodes: list[Node], users: list[BusUser]) -> list[Path]:
    """Write each node's configuration under ``nats_dir`` (its secrets made once, in
    ``nats_dir/credentials``); the paths, in the order of ``nodes``."""
    bus = BusSecrets(nats_dir / CREDENTIALS)
    bus.secure()
    key = bus.store_key([n.store_dir for n in nodes])
    paths = []
    for node in nodes:
        cluster = None
        if node.cluster_port:
            cluster = cluster_block(f"127.0.0.1:{node.cluster_port}",
                                    [f"127.0.0.1:{p}" for p in node.routes], bus.route())
        config = server_config(name=node.name, listen=f"127.0.0.1:{node.port}",
                               store_dir=node.store_dir, users=users, bus=bus, key=key,
                               cluster=cluster)
        node.store_dir.mkdir(parents=True, exist_ok=True)
        paths.append(write(nats_dir / f"{node.name}.conf", config,
                           f"nats-server {node.name} of OneDoor"))
    return paths


def credentials_of(nats_dir: Path, user: str) -> Path:
    """The credentials file ``configure`` made for ``user`` (a process name, or ``admin``)."""
    return BusSecrets(nats_dir / CREDENTIALS).credentials(user)


def admin_credentials(data_dir: Path) -> Path:
    """Where `onedoor up --data-dir DIR` keeps the admin's credentials (operators, the bench)."""
    return data_dir / "nats" / CREDENTIALS / f"{ADMIN}.json"
