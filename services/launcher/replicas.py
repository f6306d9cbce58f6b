"""Copies of a service (``onedoor up --replicas``): what the option means, where each copy
listens, and the sockets a copy serves on.

``--replicas department=3,intake=2`` gives a count per service: ``department`` counts every
department process (the window's post too), and a department named by its code
(``civil_affairs=2``) or its process (``dept-civil_affairs=2``) overrides that. The copies of a
service share its durable consumers (each message goes to one of them), its PostgreSQL schema
and its address: all listen on the service's port with SO_REUSEPORT, where the kernel spreads
new connections over the living copies, and each also on a port of its own after the system's
ten, so that its readiness and metrics can be asked of that copy alone. PostgreSQL only: with
SQLite each service runs once (services/common/instance.py).
"""

import socket
from collections.abc import Iterable

from services.launcher.preflight import ConfigError, port_is_free
from services.launcher.topology import SIZE, ProcessSpec

MAX_COPIES = 16
USAGE = "expected SERVICE=COUNT[,...], e.g. department=3,intake=2"
NEEDS_POSTGRESQL = ("--replicas：多个副本需要 PostgreSQL（--database-url），使用 SQLite 时每个服务只运行"
                    "一个实例 / several copies of a service need PostgreSQL (--database-url): "
                    "with SQLite each service runs once")


def parse(text: str | None, specs: list[ProcessSpec]) -> dict[str, int]:
    """The copies asked for, by process name (``{"dept-civil_affairs": 3}``)."""
    general: dict[str, int] = {}
    named: dict[str, int] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, _, value = (p.strip() for p in part.partition("="))
        if not value.isdigit():
            raise ConfigError(f"--replicas {text}: {USAGE}")
        if not 1 <= int(value) <= MAX_COPIES:
            raise ConfigError(f"--replicas {key}={value}: between 1 and {MAX_COPIES} copies")
        kinds = [s.name for s in specs if s.service == "department"] if key == "department" \
            else [s.name for s in specs if key in (s.name, s.department)]
        if not kinds:
            known = ", ".join(["department", *(s.department or s.name for s in specs)])
            raise ConfigError(f"--replicas {key}: no such service; one of {known}")
        (general if key == "department" else named).update(dict.fromkeys(kinds, int(value)))
    return general | named


def require_postgresql(counts: dict[str, int], database_url: str | None) -> None:
    """One line, in Chinese and English, when copies are asked for on SQLite."""
    if any(n > 1 for n in counts.values()) and (not database_url
                                                or database_url.startswith("sqlite")):
        raise ConfigError(NEEDS_POSTGRESQL)


def expand(specs: list[ProcessSpec], counts: dict[str, int]) -> list[ProcessSpec]:
    """Every process to start: a service asked for N copies is N specs sharing its port, with
    their own ports taken in order after the system's ten."""
    processes, own = [], specs[0].port + SIZE
    for spec in specs:
        n = counts.get(spec.name, 1)
        if n == 1:
            processes.append(spec)
            continue
        for copy in range(1, n + 1):
            processes.append(ProcessSpec(spec.name, spec.service, spec.department, spec.port,
                                         copy=copy, own_port=own))
            own += 1
    return processes


def check_own_ports(processes: Iterable[ProcessSpec], host: str = "127.0.0.1") -> None:
    taken = [f"{p.own_port} (for {p.label})" for p in processes
             if p.own_port is not None and not port_is_free(p.own_port, host)]
    if taken:
        raise ConfigError(f"port(s) {', '.join(taken)} already in use; stop what uses them or "
                          f"choose another --http-port (copies take the ports after the ten)")


def readiness_urls(processes: Iterable[ProcessSpec]) -> list[str]:
    """Where each process answers for itself: a copy on its own port."""
    return [f"http://127.0.0.1:{p.own_port if p.own_port is not None else p.port}"
            for p in processes]


def listing(processes: list[ProcessSpec]) -> list[str]:
    """The lines of ``up``'s table: a service, its address, and its copies' own ports."""
    lines = []
    for p in processes:
        if p.copy > 1:
            continue
        line = f"  {p.name:<24}http://127.0.0.1:{p.port}"
        if p.copy:
            own = [str(c.own_port) for c in processes if c.name == p.name]
            line += f"  ×{len(own)} (each copy also on :{', :'.join(own)})"
        lines.append(line)
    return lines


def sockets(host: str, shared: int, own: int) -> list[socket.socket]:
    """A copy's listening sockets: the service's port, shared with the other copies
    (SO_REUSEPORT: only processes of this user may join), and its own."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    result = []
    for port, reuse in ((shared, True), (own, False)):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        result.append(sock)
        try:
            sock.bind((host, port))
        except OSError as exc:
            for each in result:
                each.close()
            held = " (held by a process that does not share it)" if reuse else ""
            raise ConfigError(f"port {port}: {exc.strerror}{held}") from None
    return result
