"""The docker-compose deployment's metrics reach every process: the collector scrapes each
service's /metrics (all of ``topology()``, the window's post included), Prometheus scrapes the
collector."""

from pathlib import Path
from typing import Any

import yaml

from services.launcher.topology import topology

ROOT = Path(__file__).resolve().parents[2]


def load(name: str) -> Any:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def compose_processes() -> dict[str, tuple[str, int]]:
    """Each OneDoor container of docker-compose.yml: the process it runs (named as
    ``onedoor up`` names it) → its host name and port."""
    found = {}
    for host, service in load("docker-compose.yml")["services"].items():
        command = service.get("command") or []
        if command[:2] != ["onedoor", "run"]:
            continue
        process = f"dept-{command[3]}" if command[2] == "department" else command[2]
        found[process] = (host, int(service["environment"]["ONEDOOR_PORT"]))
    return found


def collector_targets() -> dict[tuple[str, int], dict[str, str]]:
    receivers = load("deploy/otel-collector.yaml")["receivers"]
    [job] = [j for j in receivers["prometheus"]["config"]["scrape_configs"]
             if j["job_name"] == "onedoor"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    targets = {}
    for group in job["static_configs"]:
        for target in group["targets"]:
            host, port = target.rsplit(":", 1)
            targets[(host, int(port))] = group.get("labels", {})
    return targets


def test_compose_runs_every_process_on_its_port() -> None:
    processes = compose_processes()
    assert set(processes) == {s.name for s in topology(8000)}
    assert {name: port for name, (_, port) in processes.items()} == {
        s.name: s.port for s in topology(8000)}


def test_the_collector_scrapes_every_process() -> None:
    targets = collector_targets()
    assert set(targets) == set(compose_processes().values())
    assert ("dept-window", 9 + 8000) in targets  # the 10th port
    assert all(labels.get("service") == host for (host, _), labels in targets.items())


def test_prometheus_scrapes_the_collectors_exporter() -> None:
    exporter = load("deploy/otel-collector.yaml")["exporters"]["prometheus"]["endpoint"]
    pipelines = load("deploy/otel-collector.yaml")["service"]["pipelines"]
    assert "prometheus" in pipelines["metrics"]["receivers"]
    assert "prometheus" in pipelines["metrics"]["exporters"]
    [job] = load("deploy/prometheus.yml")["scrape_configs"]
    assert job["honor_labels"] is True  # the service label of each target stays
    [group] = job["static_configs"]
    assert group["targets"] == [f"otel-collector:{exporter.rsplit(':', 1)[1]}"]


def test_the_collector_scrapes_as_an_ops_account() -> None:
    """/metrics answers other machines only with an ops token: the collector sends the one
    compose gives it as a secret."""
    [job] = load("deploy/otel-collector.yaml")["receivers"]["prometheus"]["config"]["scrape_configs"]
    compose = load("docker-compose.yml")

    secret = job["authorization"]["credentials_file"]
    assert job["authorization"]["type"] == "Bearer"
    assert secret.removeprefix("/run/secrets/") in compose["services"]["otel-collector"]["secrets"]
    assert "ops-token" in compose["secrets"]
