"""The figures of a bench run, and the count expected at every stage."""

from dataclasses import dataclass, field
from typing import Any

from bench.figures import summary
from services.launcher.topology import topology

ITEMS = ["dibao", "education_aid", "medical_aid"]  # three departments
DEPARTMENTS = ("civil_affairs", "education", "medical")


@dataclass
class Report:
    applications: int
    submit_seconds: float = 0.0
    complete_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    database: str = "sqlite"
    history: int = 0  # past applications the databases held before the load
    baseline: dict[str, int] = field(default_factory=dict)  # what each stage held before it
    started_epoch: float = 0.0  # time.time() at the first submission
    post_ms: list[tuple[float, float]] = field(default_factory=list)  # (s since start, ms)
    completed: list[tuple[float, int]] = field(default_factory=list)  # (s since start, count)
    handoffs: list[tuple[int, float]] = field(default_factory=list)  # (publish ns epoch, ms)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per process, during the load
    rss_mb: dict[str, float] = field(default_factory=dict)  # per process, at the end
    peak_rss_mb: dict[str, float] = field(default_factory=dict)

    @property
    def end_to_end_per_s(self) -> float:
        return self.applications / self.complete_seconds if self.complete_seconds else 0.0

    @property
    def messages_per_application(self) -> float:
        """Messages the stream holds per application (every event, notices included)."""
        published = sum(v - self.baseline.get(k, 0) for k, v in self.counts.items()
                        if k.startswith("stream: "))
        return published / self.applications if self.applications else 0.0

    def figures(self) -> dict[str, Any]:
        """What the JSON of ``onedoor bench`` says of this run."""
        n = self.applications
        return {
            "database": self.database, "applications": n, "history_applications": self.history,
            "submit_per_s": round(n / self.submit_seconds, 2) if self.submit_seconds else 0.0,
            "end_to_end_per_s": round(self.end_to_end_per_s, 2),
            "seconds": round(self.complete_seconds, 2),
            "messages_per_application": round(self.messages_per_application, 2),
            "intake_post_ms": summary([ms for _, ms in self.post_ms]),
            "handoff_ms": summary([ms for _, ms in self.handoffs]),
            "hops_measured": len(self.handoffs),
            "cpu_s_per_application": {k: round(v / n, 4) for k, v in self.cpu_seconds.items()},
            "rss_mb": {k: round(v, 1) for k, v in self.rss_mb.items()},
            "peak_rss_mb": {k: round(v, 1) for k, v in self.peak_rss_mb.items()},
            "every_count_matches": not self.mismatches,
            "mismatches": self.mismatches,
        }

    @property
    def mismatches(self) -> list[str]:
        return [f"{k}: expected {v}, counted {self.counts.get(k)}"
                for k, v in self.expected.items() if self.counts.get(k) != v]

    def print(self) -> None:
        n = self.applications
        print(f"\napplications: {n} (each with {len(ITEMS)} items in {len(DEPARTMENTS)} departments)"
              + (f", {self.history:,} past ones in the databases" if self.history else ""))
        print(f"submitted in {self.submit_seconds:.1f}s: {n / self.submit_seconds:.0f} applications/s")
        print(f"all completed {self.complete_seconds:.1f}s after the first submission: "
              f"{n / self.complete_seconds:.0f} applications/s end to end")
        if self.post_ms:
            print(f"intake POST latency: {_quantiles(summary([ms for _, ms in self.post_ms]))}")
        if self.handoffs:
            print(f"hand-off per hop ({len(self.handoffs)} hops, publish to handler): "
                  f"{_quantiles(summary([ms for _, ms in self.handoffs]))}")
        if self.cpu_seconds:
            print(f"\n{'process':<24}{'CPU s':>8}{'CPU ms/application':>20}{'RSS MB':>8}")
            for name, cpu in self.cpu_seconds.items():
                print(f"{name:<24}{cpu:>8.1f}{cpu * 1000 / n:>20.1f}"
                      f"{self.rss_mb.get(name, 0):>8.0f}")
        print(f"\n{'stage':<44}{'expected':>10}{'counted':>10}")
        for key, value in self.expected.items():
            mark = "" if self.counts.get(key) == value else "   <-- MISMATCH"
            print(f"{key:<44}{value:>10}{self.counts.get(key, '-')!s:>10}{mark}")
        print("\nevery count matches" if not self.mismatches else
              f"\n{len(self.mismatches)} count(s) do not match")


def expected_counts(n: int) -> dict[str, int]:
    tasks, notices = len(DEPARTMENTS) * n, 2 * len(DEPARTMENTS) * n + 2 * n
    expected = {
        "intake: applications": n, "intake: application_items": tasks,
        "intake: notifications": notices, "routing: handoffs": tasks,
        "notify: cases": n, "notify: decisions": tasks, "notify: notices": notices,
        "stream: application.submitted": n, "stream: application.routed": n,
        "stream: task.assigned": tasks, "stream: task.accepted": tasks,
        "stream: task.decided": tasks, "stream: application.completed": n,
        "stream: notification.sent": notices,
    }
    for code in DEPARTMENTS:
        expected[f"dept-{code}: tasks"] = n
    for spec in topology(0):
        expected[f"{spec.name}: events not yet published"] = 0
        expected[f"{spec.name}: open dead letters"] = 0
    return expected


def _quantiles(figures: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.1f} ms" for k, v in figures.items())
