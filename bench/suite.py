"""``onedoor bench`` (``make bench``) in one go: the ceiling, the whole system on SQLite then on
PostgreSQL (when reachable), then the system at rest; progress while it runs, a table at the
end, and optionally the figures as JSON and a chart as PNG. Figures, never verdicts: only a
count that does not match fails the run."""

import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import at_rest, ceiling, load, postgres
from bench.chart import draw
from bench.figures import ratio_to_ceiling
from bench.progress import Progress
from bench.report import Report


@dataclass
class Plan:
    applications: int = 2000
    concurrency: int = 32
    rate: float | None = None  # applications/s submitted at most; None: as fast as taken
    ceiling_messages: int = 20_000
    at_rest_seconds: float = 30.0
    settle_seconds: float = 10.0
    database_url: str | None = postgres.URL  # None: SQLite only
    history: int = 0  # also each database holding this many past applications first
    json_path: Path | None = None
    chart_path: Path | None = None
    keep: bool = False


def run(plan: Plan, progress: Progress | None = None) -> int:
    """Everything, in order; 0 when every count matched."""
    progress = progress or Progress()
    machine = {"cpus": os.cpu_count(), "load_average_at_start": _load(),
               "platform": platform.platform(), "python": platform.python_version()}
    root = Path(tempfile.mkdtemp(prefix="onedoor-bench-"))
    progress.say(f"data and logs: {root}")
    reports: list[Report] = []
    skipped, finished = None, False
    try:
        progress.say(f"[1/4] the ceiling: {plan.ceiling_messages} messages, one acknowledged hop")
        top = ceiling.run(plan.ceiling_messages, root / "ceiling")
        progress.say(f"ceiling: {top.msgs_per_s:,.0f} messages/s")
        progress.say(f"[2/4] the whole system on SQLite: {plan.applications} applications")
        reports.append(load.run(plan.applications, root / "sqlite",
                                concurrency=plan.concurrency, rate=plan.rate,
                                progress=progress))
        if plan.history:
            progress.say(f"[2/4] again on SQLite, with {plan.history:,} past applications")
            reports.append(load.run(plan.applications, root / "sqlite-history",
                                    concurrency=plan.concurrency, rate=plan.rate,
                                    progress=progress, history=plan.history))
        skipped = _postgres(plan, root, reports, progress)
        progress.say(f"[4/4] at rest: a new system, no traffic, {plan.at_rest_seconds:.0f}s")
        idle = at_rest.on_new_system(plan.at_rest_seconds, plan.settle_seconds, progress,
                                     root / "at-rest")
        finished = True
    finally:
        ok = finished and not any(r.mismatches for r in reports)
        if ok and not plan.keep:
            shutil.rmtree(root, ignore_errors=True)
        else:
            progress.say(f"data and logs kept in {root}")
    machine["load_average_at_end"] = _load()
    figures = results(top, reports, idle, plan.at_rest_seconds, machine, skipped)
    figures["load"] = {"concurrency": plan.concurrency, "rate": plan.rate}
    print("\n".join(table(figures)), flush=True)
    if plan.json_path:
        plan.json_path.parent.mkdir(parents=True, exist_ok=True)
        plan.json_path.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        print(f"figures: {plan.json_path}")
    if plan.chart_path:
        draw(reports, plan.chart_path)
        print(f"chart: {plan.chart_path}")
    return 0 if ok else 1


def _postgres(plan: Plan, root: Path, reports: list[Report], progress: Progress) -> str | None:
    """The PostgreSQL run in a schema prefix of its own; why it was skipped, if it was."""
    if not plan.database_url:
        progress.say("[3/4] PostgreSQL: skipped (not asked for)")
        return "not asked for"
    if reason := postgres.unreachable(plan.database_url):
        progress.say(f"[3/4] PostgreSQL: skipped, not reachable at {plan.database_url} ({reason})")
        return f"not reachable at {plan.database_url} ({reason})"
    prefix = postgres.new_prefix()
    progress.say(f"[3/4] the whole system on PostgreSQL (schemas {prefix}*): "
                 f"{plan.applications} applications")
    try:
        reports.append(load.run(plan.applications, root / "postgresql",
                                concurrency=plan.concurrency, rate=plan.rate,
                                database_url=plan.database_url,
                                env={"ONEDOOR_DATABASE_SCHEMA_PREFIX": prefix},
                                progress=progress))
    finally:
        postgres.drop_schemas(plan.database_url, prefix)
    if plan.history:
        prefix = postgres.new_prefix()
        progress.say(f"[3/4] again on PostgreSQL, with {plan.history:,} past applications")
        try:
            reports.append(load.run(plan.applications, root / "postgresql-history",
                                    concurrency=plan.concurrency, rate=plan.rate,
                                    database_url=plan.database_url,
                                    env={"ONEDOOR_DATABASE_SCHEMA_PREFIX": prefix},
                                    progress=progress, history=plan.history))
        finally:
            postgres.drop_schemas(plan.database_url, prefix)
    return None


def results(top: ceiling.Ceiling, reports: list[Report], idle: list[at_rest.Usage],
            idle_seconds: float, machine: dict[str, Any], skipped: str | None) -> dict[str, Any]:
    """The JSON: the headline figures of the first (SQLite) run at the top, every run under
    ``runs``, the ceiling, the system at rest and the machine."""
    runs = []
    for r in reports:
        figures = r.figures()
        figures["ratio_to_ceiling"] = round(ratio_to_ceiling(
            r.end_to_end_per_s, r.messages_per_application, top.msgs_per_s), 4)
        empty = next((e for e in runs if e["database"] == r.database
                      and not e["history_applications"]), None)
        if r.history and empty:
            figures["to_empty"] = history_ratios(figures, empty)
        runs.append(figures)
    head = runs[0] if runs else {}
    keys = ("end_to_end_per_s", "messages_per_application", "ratio_to_ceiling",
            "intake_post_ms", "handoff_ms", "cpu_s_per_application", "rss_mb")
    return {
        "ceiling_msgs_per_s": round(top.msgs_per_s, 1),
        **{k: head.get(k) for k in keys},
        "idle_cpu_percent": round(at_rest.total_cpu_percent(idle), 2),
        "ceiling": {"messages": top.messages, "seconds": round(top.seconds, 3),
                    "publish_per_s": round(top.publish_per_s, 1)},
        "runs": runs,
        "postgresql_skipped": skipped,
        "at_rest": {"seconds": idle_seconds,
                    "total_rss_mb": round(sum(u.rss_mb for u in idle), 1),
                    "processes": {u.name: {"cpu_percent": round(u.cpu_percent, 2),
                                           "rss_mb": round(u.rss_mb, 1)} for u in idle}},
        "machine": machine,
    }


def history_ratios(full: dict[str, Any], empty: dict[str, Any]) -> dict[str, float]:
    """A run with history beside the same database's empty one: throughput as a share of
    the empty one's (issue 11 asks at least 0.9), and the p99s as multiples of its."""
    def share(a: float, b: float) -> float:
        return round(a / b, 3) if b else 0.0
    return {"end_to_end": share(full["end_to_end_per_s"], empty["end_to_end_per_s"]),
            "intake_post_p99": share(full["intake_post_ms"]["p99"], empty["intake_post_ms"]["p99"]),
            "handoff_p99": share(full["handoff_ms"]["p99"], empty["handoff_ms"]["p99"])}


def table(figures: dict[str, Any]) -> list[str]:
    """The figures as people read them: one column per database."""
    runs = figures["runs"]
    lines = ["", f"ceiling (nats-py, one acknowledged hop): {figures['ceiling_msgs_per_s']:,.0f}"
             " messages/s", "", f"{'':<42}" + "".join(f"{_label(r):>28}" for r in runs)]

    def row(label: str, cell: Any) -> None:
        lines.append(f"{label:<42}" + "".join(f"{cell(r):>28}" for r in runs))

    row("applications", lambda r: r["applications"])
    row("end to end, applications/s", lambda r: f"{r['end_to_end_per_s']:.1f}")
    row("submitted, applications/s", lambda r: f"{r['submit_per_s']:.1f}")
    row("messages per application", lambda r: f"{r['messages_per_application']:.1f}")
    row("ratio to the ceiling", lambda r: f"{r['ratio_to_ceiling']:.2%}")
    for name in ("intake_post_ms", "handoff_ms"):
        row(f"{name[:-3]} p50/p95/p99 ms", lambda r, n=name: "/".join(
            f"{v:.0f}" for v in r[n].values()))
    if any(r.get("to_empty") for r in runs):
        row("with history ÷ empty: e2e, POST p99, hop p99", lambda r: "/".join(
            f"{v:.2f}" for v in r["to_empty"].values()) if r.get("to_empty") else "")
    row("every count matches", lambda r: "yes" if r["every_count_matches"] else "NO")
    for name in runs[0]["cpu_s_per_application"] if runs else ():
        row(f"CPU ms/app, RSS MB: {name}", lambda r, n=name: (
            f"{r['cpu_s_per_application'].get(n, 0) * 1000:.1f}  {r['rss_mb'].get(n, 0):.0f}"))
    if load := figures.get("load"):
        lines.append(f"load: {load['concurrency']} POSTs in flight, " + (
            f"at most {load['rate']:g} applications/s" if load["rate"] else "as fast as taken"))
    lines += [f"{r['database']}: {m}" for r in runs for m in r["mismatches"]]
    if figures["postgresql_skipped"]:
        lines.append(f"PostgreSQL skipped: {figures['postgresql_skipped']}")
    lines += ["", f"at rest ({figures['at_rest']['seconds']:.0f}s, no traffic):"]
    lines += [f"  {name:<24}{u['cpu_percent']:>6.1f}% of a core{u['rss_mb']:>8.0f} MB"
              for name, u in figures["at_rest"]["processes"].items()]
    lines.append(f"  {'total':<24}{figures['idle_cpu_percent']:>6.1f}% of a core"
                 f"{figures['at_rest']['total_rss_mb']:>8.0f} MB")
    lines.append(f"machine: {figures['machine']['cpus']} cores, load average "
                 f"{figures['machine']['load_average_at_start']} at the start")
    return lines


def _label(run: dict[str, Any]) -> str:
    past = run.get("history_applications") or 0
    return f"{run['database']} +{past:,} past" if past else run["database"]


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
