"""The AsyncAPI document is generated from the code and kept in step with the contracts."""

import inspect
import subprocess
import sys
from pathlib import Path

import yaml

import contracts
from contracts import Envelope, subjects

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "docs" / "asyncapi.yaml"


def _generate(out: Path) -> str:
    subprocess.run(
        [sys.executable, "-m", "faststream", "docs", "gen", "--yaml", "services.asyncapi:docs",
         "-o", str(out)],
        cwd=ROOT, check=True, capture_output=True,
    )
    return out.read_text(encoding="utf-8")


def test_the_committed_document_is_what_the_code_generates(tmp_path: Path) -> None:
    generated = yaml.safe_load(_generate(tmp_path / "asyncapi.yaml"))
    # Compared as data: faststream lists publishers in no fixed order.
    assert generated == yaml.safe_load(COMMITTED.read_text(encoding="utf-8")), (
        "docs/asyncapi.yaml is stale: run 'make asyncapi' and commit it")


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
