"""Which processes make up the system, and where each listens."""

from dataclasses import dataclass

from contracts import Department

SERVICES = ("intake", "routing", "department", "notify")


@dataclass(frozen=True)
class ProcessSpec:
    name: str  # the process kind: its NATS user, its peers' name for it
    service: str
    department: str | None
    port: int  # the service's address (shared by its copies, SO_REUSEPORT)
    copy: int = 0  # 1, 2, ... for one of several copies (--replicas); 0 when it runs once
    own_port: int | None = None  # a copy's own address: its readiness and metrics

    @property
    def label(self) -> str:
        """The log prefix: ``intake``, or ``intake.2`` for the second copy."""
        return f"{self.name}.{self.copy}" if self.copy else self.name

    def run_args(self) -> list[str]:
        own = ["--instance-port", str(self.own_port)] if self.own_port is not None else []
        return ["run", self.service, *([self.department] if self.department else []),
                "--http-port", str(self.port), *own]


SIZE = 10  # ports the system takes from ``http_port`` on


def topology(http_port: int) -> list[ProcessSpec]:
    """intake on ``http_port``, the six departments on the next six, then notify, routing,
    and the window's own post (items it settles itself) last."""
    departments = [d for d in Department if d != Department.window]
    specs = [ProcessSpec("intake", "intake", None, http_port)]
    specs += [ProcessSpec(f"dept-{d.value}", "department", d.value, http_port + 1 + n)
              for n, d in enumerate(departments)]
    specs.append(ProcessSpec("notify", "notify", None, http_port + 7))
    specs.append(ProcessSpec("routing", "routing", None, http_port + 8))
    specs.append(ProcessSpec("dept-window", "department", Department.window.value, http_port + 9))
    return specs
