"""The screens reach every other service: ``onedoor up`` and docker-compose.yml give intake
the same service names (``ONEDOOR_PEER_URLS``) the launcher's topology has."""

import json
from pathlib import Path

import yaml

from services.launcher.topology import topology
from services.launcher.up import peer_urls
from services.portal.peers import PeerError

ROOT = Path(__file__).resolve().parents[2]


def test_up_and_compose_name_every_service_for_the_screens() -> None:
    names = {spec.name for spec in topology(8000)}
    given = json.loads(peer_urls(topology(8000)))
    assert set(given) == names and given["routing"] == "http://127.0.0.1:8008"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    peers = json.loads(compose["services"]["intake"]["environment"]["ONEDOOR_PEER_URLS"])
    assert set(peers) == names - {"intake"}
    for name, url in peers.items():
        service = name.replace("_", "-")  # compose's host names
        port = compose["services"][service]["environment"]["ONEDOOR_PORT"]
        assert url == f"http://{service}:{port}", name


def test_an_api_refusal_reads_in_either_language() -> None:
    refused = PeerError("intake", 422, {"error": {
        "code": "validation_failed", "message": "The request has invalid fields.",
        "message_zh": "提交的内容有误", "fields": [
            {"field": "applicant.id_number", "reason": "bad check digit",
             "reason_zh": "校验码不正确"}]}})
    assert refused.message("zh") == "提交的内容有误"
    assert refused.field_errors("en") == {"applicant.id_number": "bad check digit",
                                          "id_number": "bad check digit"}
    assert refused.field_errors("zh")["id_number"] == "校验码不正确"
    assert "intake" in PeerError("intake", 503).message("en")
