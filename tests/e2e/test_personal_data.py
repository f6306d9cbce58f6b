"""Personal data at rest, after a full run of the system as processes (``onedoor up``): no file
of the data directory (SQLite files and their WAL, span files, the SMS sink, key files) and no
log line holds an applicant's identity number, phone or name in clear, nor does any database
column on PostgreSQL, nor NATS's own store (``<data-dir>/nats``: the personal part of each
message sealed, and the store encrypted by JetStream); the files are this user's only."""

import json
import random
import stat
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

from services.common.keystore import KEY_DIR
from services.launcher.topology import topology
from tests.e2e.conftest import start_system, survivors
from tests.support.backends import PG_URL, Backend
from tests.support.factories import application
from tests.support.waiting import eventually

RARE = "禤翀骞珩璟琰翾霈澍琛邗茆缑笪"


def _distinct(rng: random.Random, body: dict[str, Any]) -> dict[str, Any]:
    """Names, address and description no other text of the system could hold by chance."""
    body["applicant"]["name"] = "".join(rng.sample(RARE, 3))
    body["applicant"]["address"] = f"东风村{rng.randint(1, 99)}组{uuid.uuid4().hex[:6]}号"
    body["description"] = f"因病致贫，{uuid.uuid4().hex[:10]}"
    for member in body["household"]["members"]:
        member["name"] = "".join(rng.sample(RARE, 3))
    return body


def personal_values(body: dict[str, Any]) -> dict[str, list[bytes]]:
    """Each personal value of an application, as bytes it could be written in: UTF-8, and
    escaped as JSON writes it with ``ensure_ascii``."""
    a = body["applicant"]
    values = {"identity number": [a["id_number"], a["id_number"].lower()],
              "phone": [a["phone"]], "name": [a["name"]], "address": [a["address"]],
              "description": [body["description"]],
              **{f"member {n}": [m["name"]] for n, m in enumerate(body["household"]["members"])}}
    return {what: sorted({v.encode() for v in vs} | {json.dumps(v)[1:-1].encode() for v in vs})
            for what, vs in values.items()}


def found_in(blob: bytes, bodies: list[dict[str, Any]]) -> list[str]:
    return [f"{what} of {body['applicant']['name']}" for body in bodies
            for what, forms in personal_values(body).items() if any(f in blob for f in forms)]


def clear_in_files(root: Path, bodies: list[dict[str, Any]]) -> dict[str, list[str]]:
    return {str(path): hits for path in sorted(root.rglob("*"))
            if path.is_file() and (hits := found_in(path.read_bytes(), bodies))}


def clear_in_postgres(prefix: str, bodies: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Every column of every table of the run's schemas, as stored (bytes as they are)."""
    hits = {}
    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://")) as conn:
        tables = conn.execute("SELECT table_schema, table_name FROM information_schema.tables "
                              "WHERE table_schema LIKE %s", (prefix + "%",)).fetchall()
        assert len(tables) > 10, tables
        for schema, table in tables:
            for row in conn.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall():
                blob = b"\0".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
                if found := found_in(blob, bodies):
                    hits[f"{schema}.{table}"] = found
    return hits


def submit_and_complete(http: httpx.Client, intake: str, bodies: list[dict[str, Any]],
                        ) -> list[dict[str, Any]]:
    created = []
    for body in bodies:
        response = http.post(f"{intake}/api/v1/applications", json=body)
        assert response.status_code == 201, response.text
        created.append(response.json())

    def completed() -> list[dict[str, Any]]:
        views = [http.get(f"{intake}/api/v1/applications/{a['id']}").json() for a in created]
        for view in views:
            assert view["status"] == "completed", view["status"]
            assert any(n["kind"] == "completion" and n["channel"] == "sms"
                       for n in view["notifications"]), view["notifications"]
        return views

    return eventually(completed, timeout=90)


def test_no_file_of_a_full_run_holds_an_applicants_data_in_clear(
        backend: Backend, tmp_path: Path, rng: random.Random) -> None:
    bodies = [_distinct(rng, application(rng, items)) for items in (
        ["dibao", "education_aid", "medical_aid"], ["temporary_aid"], ["housing_aid"])]
    bodies[0]["household"]["members"] = [{"name": "x", "relation": "子女", "student": True,
                                          "school": "县第一中学"}]
    bodies[0]["household"]["monthly_income_per_capita"] = 100  # approved: 免申即享 follows
    _distinct(rng, bodies[0])
    waiting = _distinct(rng, application(rng, ["medical_aid"]))
    waiting["materials"] = []  # a one-time notice of the missing materials, by SMS
    system = start_system(backend, tmp_path, "--auto-decide-after", "0")
    http = httpx.Client(timeout=10, auth=system.auth)  # signed in as each service's caller
    try:
        views = submit_and_complete(http, system.intake, bodies)
        held = http.post(f"{system.intake}/api/v1/applications", json=waiting).json()
        eventually(lambda: [n for n in http.get(
            f"{system.intake}/api/v1/applications/{held['id']}").json()["notifications"]
            if n["channel"] == "sms"] or None, timeout=60)
        # The window still sees everything, and finds an applicant by the exact number.
        assert [v["applicant"]["name"] for v in views] == [b["applicant"]["name"] for b in bodies]
        for body, view in zip(bodies, views, strict=True):
            found = http.get(f"{system.intake}/api/v1/applications",
                             params={"id_number": body["applicant"]["id_number"]}).json()
            assert [a["id"] for a in found["items"]] == [view["id"]]
        # While it runs, the databases' write-ahead logs are there too (a clean stop folds
        # them into the databases): nothing in clear in them either.
        wal = list(backend.data_dir.glob("*.db-wal"))
        assert wal or backend.kind == "postgres"
        assert clear_in_files(backend.data_dir, [*bodies, waiting]) == {}
        # Nor in any metric's labels, nor in any dead letter an operator reads.
        for spec in topology(system.http_port):
            base = f"http://127.0.0.1:{spec.port}"
            assert found_in(httpx.get(f"{base}/metrics").content, [*bodies, waiting]) == []
            letters = http.get(f"{base}/api/v1/ops/dead-letters").content
            assert found_in(letters, [*bodies, waiting]) == [], spec.name
    finally:
        http.close()
        assert system.stop() is not None  # every process flushed its files
        assert not survivors(system.ports())

    everyone = [*bodies, waiting]
    data_dir = backend.data_dir
    assert (data_dir / "sms-sent.jsonl").stat().st_size > 0
    assert list((data_dir / "traces").glob("*.jsonl"))
    assert clear_in_files(data_dir, everyone) == {}
    logs = list(tmp_path.glob("*.log"))
    assert logs and all(found_in(p.read_bytes(), everyone) == [] for p in logs)
    if backend.kind == "postgres":
        assert clear_in_postgres(backend.schema_prefix, everyone) == {}
    else:
        # Ten services' databases and the staff accounts' (accounts.db), each searched above.
        assert len(list(data_dir.glob("*.db"))) == 11

    # Readable by this user only: the directory, the key files, the databases, everything.
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / KEY_DIR).stat().st_mode) == 0o700
    assert sorted(p.name for p in (data_dir / KEY_DIR).glob("*.json")) == [
        "bus.json", "data.json", "search.json"]
    loose = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in data_dir.rglob("*")
             if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert loose == {}
