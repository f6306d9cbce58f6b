"""The AsyncAPI document is generated from the code and kept in step with the contracts."""

import inspect
import os
import subprocess
import sys
from pathlib import Path

import yaml

import contracts
from contracts import Envelope, subjects
from services import asyncapi

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "asyncapi.yaml"


def _generate(out: Path, hash_seed: str = "0") -> bytes:
    """What ``make asyncapi`` writes, in a fresh process."""
    subprocess.run(
        [sys.executable, "-m", "faststream", "docs", "gen", "--yaml", "services.asyncapi:docs",
         "-o", str(out)],
        cwd=ROOT, check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": hash_seed},
    )
    return out.read_bytes()


def test_the_committed_document_is_what_the_code_generates(tmp_path: Path) -> None:
    first = _generate(tmp_path / "first.yaml", hash_seed="0")
    second = _generate(tmp_path / "second.yaml", hash_seed="4242")

    # Byte for byte: `make asyncapi` on a clean checkout leaves no diff.
    assert first == second, "generating twice gave two different documents"
    assert first == COMMITTED.read_bytes(), (
        "docs/asyncapi.yaml is stale: run 'make asyncapi' and commit it")


def test_the_order_of_the_document_does_not_depend_on_the_order_of_the_services() -> None:
    brokers = asyncapi.brokers()

    forward = asyncapi.document(*brokers).to_yaml()
    backward = asyncapi.document(*reversed(brokers)).to_yaml()

    assert forward == backward


def test_every_contract_message_and_subject_is_documented() -> None:
    document = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    schemas = set(document["components"]["schemas"])
    messages = [c for _, c in inspect.getmembers(contracts, inspect.isclass)
                if issubclass(c, Envelope) and c is not Envelope]
    assert len(messages) == 20
    for message in messages:
        assert message.__name__ in schemas, f"{message.__name__} is not in the AsyncAPI document"

    addresses = {c["address"] for c in document["channels"].values()}
    published = {s for s in vars(subjects).values() if isinstance(s, str) and s.startswith("onedoor.")}
    for subject in published:
        wildcard = subject.replace("{department}", "*")
        assert subject in addresses or wildcard in addresses, f"{subject} is not documented"
    # Every message's subject is one of the documented ones.
    assert {m.SUBJECT for m in messages} <= published
