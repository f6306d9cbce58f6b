"""docker-compose.yml gives every OneDoor process its own NATS user and every server its
configuration file (what they hold is run in tests/integration/test_nats_compose.py)."""

from pathlib import Path

import yaml

from services.launcher.topology import topology

REPO = Path(__file__).resolve().parents[2]


def test_each_service_connects_as_its_own_user_over_tls() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services, secrets = compose["services"], compose["secrets"]
    runs = {name: s for name, s in services.items() if s.get("command", [])[:2] == ["onedoor", "run"]}
    process_of = {name: ("dept-" + s["command"][3]) if s["command"][2] == "department"
                  else s["command"][2] for name, s in runs.items()}
    assert set(process_of.values()) == {spec.name for spec in topology(8000)}
    for name, service in runs.items():
        given = {s["target"]: secrets[s["source"]]["file"] for s in service["secrets"]}
        assert given["nats-credentials.json"].endswith(f"/credentials/{process_of[name]}.json")
        assert service["environment"]["ONEDOOR_NATS_URL"].startswith("tls://")
        assert service["depends_on"]["nats-declare"] == {
            "condition": "service_completed_successfully"}
    declare = services["nats-declare"]
    assert declare["command"] == ["onedoor", "nats", "declare"]
    assert {s["source"] for s in declare["secrets"]} == {"nats-admin", "nats-ca"}


def test_each_server_reads_its_closed_configuration() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    for n in (1, 2, 3):
        server = compose["services"][f"nats-{n}"]
        assert server["command"] == ["-c", f"/etc/nats/nats-{n}.conf"]
        text = (REPO / "deploy" / "nats" / f"nats-{n}.conf").read_text()
        for needed in ('include "secrets/users.conf"', "cipher: chachapoly", "verify: true",
                       'include "secrets/route-auth.conf"', "tls {"):
            assert needed in text, (n, needed)
