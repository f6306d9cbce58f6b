"""Which processes make up the system, and where each listens."""

from dataclasses import dataclass

from contracts import Department

SERVICES = ("intake", "routing", "department", "notify")


@dataclass(frozen=True)
class ProcessSpec:
    name: str  # shown as the log prefix
    service: str
    department: str | None
    port: int

    def run_args(self) -> list[str]:
        return ["run", self.service, *([self.department] if self.department else []),
                "--http-port", str(self.port)]


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
