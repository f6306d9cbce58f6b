"""At rest: what the system costs with no traffic — CPU (% of one core) and resident memory
of each of its processes over a while.

    .venv/bin/python -m bench.at_rest                      # starts its own `onedoor up`
    .venv/bin/python -m bench.at_rest --http-port 8000 --nats-port 4222 --seconds 60

The processes are found by their command lines: nats-server with the run's NATS port (``-p``)
and every ``services.launcher run ... --http-port P`` child with P one of the run's ports.
CPU is the change of utime+stime in /proc/<pid>/stat over the window; memory is the resident
set of /proc/<pid>/statm at its end. Prints figures; asserts nothing about them.
"""

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.progress import Progress
from bench.system import running
from services.launcher.topology import topology

PROC = Path("/proc")
NATS = "nats-server"


@dataclass(frozen=True)
class Usage:
    name: str
    pid: int
    cpu_percent: float  # of one core, over the window
    rss_mb: float


def cpu_seconds(pid: int, proc: Path = PROC) -> float:
    """User + system CPU time the process has used so far."""
    text = (proc / str(pid) / "stat").read_text()
    # The command name (field 2) is in parentheses and may hold spaces or ")": split after
    # the last one. What follows starts at field 3 (state); utime and stime are 14 and 15.
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int, proc: Path = PROC) -> float:
    """Resident set size in MB (statm's second field, in pages)."""
    pages = int((proc / str(pid) / "statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def peak_rss_mb(pid: int, proc: Path = PROC) -> float:
    """The largest resident set the process has had (VmHWM), in MB."""
    for line in (proc / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def find_processes(http_port: int, nats_port: int, proc: Path = PROC) -> dict[str, int]:
    """Process name (as ``onedoor up`` shows it) -> pid, for the system on these ports."""
    names = {str(spec.port): spec.name for spec in topology(http_port)}
    found: dict[str, int] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:  # gone, or not ours to read
            continue
        if Path(argv[0]).name == NATS and _value(argv, "-p") == str(nats_port):
            found[NATS] = int(entry.name)
        elif "services.launcher" in argv and "run" in argv and (
                name := names.get(_value(argv, "--http-port") or "")):
            found[name] = int(entry.name)
    return found


def _value(argv: list[str], option: str) -> str | None:
    return argv[argv.index(option) + 1] if option in argv[:-1] else None


def cpu_of(processes: dict[str, int], proc: Path = PROC) -> dict[str, float]:
    """CPU seconds used so far by each process still there."""
    seen = {}
    for name, pid in processes.items():
        try:
            seen[name] = cpu_seconds(pid, proc)
        except (OSError, ValueError):  # it ended (a restart): left out
            continue
    return seen


def memory_of(processes: dict[str, int], read: Callable[[int], float]) -> dict[str, float]:
    """``read`` (``rss_mb``, ``peak_rss_mb``) of each process still there."""
    found = {}
    for name, pid in processes.items():
        try:
            found[name] = read(pid)
        except (OSError, ValueError):
            continue
    return found


def usage(processes: dict[str, int], before: dict[str, float], after: dict[str, float],
          seconds: float, proc: Path = PROC) -> list[Usage]:
    """Each process's share of one core between two ``cpu_of`` readings ``seconds`` apart."""
    found = []
    for name, pid in processes.items():
        if name in before and name in after:
            try:
                rss = rss_mb(pid, proc)
            except (OSError, ValueError):
                continue
            found.append(Usage(name, pid, 100 * (after[name] - before[name]) / seconds, rss))
    return found


def measure(processes: dict[str, int], seconds: float, proc: Path = PROC,
            sleep: Callable[[float], None] = time.sleep) -> list[Usage]:
    before, started = cpu_of(processes, proc), time.monotonic()
    sleep(seconds)
    elapsed = max(time.monotonic() - started, 1e-9)
    return usage(processes, before, cpu_of(processes, proc), elapsed, proc)


def total_cpu_percent(found: list[Usage]) -> float:
    return sum(u.cpu_percent for u in found)


def table(found: list[Usage]) -> list[str]:
    lines = [f"{'process':<24}{'pid':>8}{'CPU % of a core':>17}{'RSS MB':>9}"]
    lines += [f"{u.name:<24}{u.pid:>8}{u.cpu_percent:>17.1f}{u.rss_mb:>9.0f}" for u in found]
    lines.append(f"{'total':<24}{'':>8}{total_cpu_percent(found):>17.1f}"
                 f"{sum(u.rss_mb for u in found):>9.0f}")
    return lines


def on_new_system(seconds: float, settle: float, progress: Progress,
                  data_dir: Path | None = None) -> list[Usage]:
    """Start ``onedoor up`` (no demo, nobody deciding), let it settle, measure, stop it."""
    with (tempfile.TemporaryDirectory(prefix="onedoor-at-rest-") as tmp,
          running(data_dir or Path(tmp), auto_decide=False, progress=progress) as system):
        processes = find_processes(system.http_port, system.nats_port)
        progress.say(f"{len(processes)} processes ready; settling {settle:.0f}s, "
                     f"then measuring {seconds:.0f}s with no traffic")
        time.sleep(settle)
        return measure(processes, seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.at_rest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds between ready and measuring (own system only)")
    parser.add_argument("--http-port", type=int, help="measure the system on this port")
    parser.add_argument("--nats-port", type=int, default=4222)
    args = parser.parse_args(argv)
    progress = Progress()
    if args.http_port:
        processes = find_processes(args.http_port, args.nats_port)
        progress.say(f"measuring {len(processes)} processes for {args.seconds:.0f}s")
        found = measure(processes, args.seconds)
    else:
        found = on_new_system(args.seconds, args.settle, progress)
    print("\n".join(table(found)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
