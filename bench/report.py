"""The figures of a bench run, and the count expected at every stage."""

from dataclasses import dataclass, field

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

    @property
    def mismatches(self) -> list[str]:
        return [f"{k}: expected {v}, counted {self.counts.get(k)}"
                for k, v in self.expected.items() if self.counts.get(k) != v]

    def print(self) -> None:
        n = self.applications
        print(f"\napplications: {n} (each with {len(ITEMS)} items in {len(DEPARTMENTS)} departments)")
        print(f"submitted in {self.submit_seconds:.1f}s: {n / self.submit_seconds:.0f} applications/s")
        print(f"all completed {self.complete_seconds:.1f}s after the first submission: "
              f"{n / self.complete_seconds:.0f} applications/s end to end")
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
