"""The bench's history (bench/history.py): copies of real rows under new keys, every foreign
key still holding, every unique key unique, the copies readable as the service reads them."""

import random
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine

from bench.history import multiply
from bench.progress import Progress
from services.intake.models import Base


def _seed(path: Path, rng: random.Random, n: int) -> None:
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    now = datetime.now(UTC).isoformat()
    db = sqlite3.connect(path)
    with db:  # the encrypted columns as opaque text: the copies are never decrypted here
        for k in range(n):
            app_id = uuid.UUID(int=rng.getrandbits(128)).hex
            if k < 3:  # keys that look like a copy's number (a copy once met its original)
                app_id = f"{k + 1:05x}" + app_id[5:]
            db.execute(
                "INSERT INTO applications (id, receipt_no, idempotency_key, request_hash, "
                "status, channel, received_by, received_at, applicant, household, materials, "
                "description, name_key, village, id_number_key) VALUES "
                "(?, ?, ?, 'h', 'completed', 'window', 'w', ?, 'x', 'x', '[]', 'x', '', '', '')",
                (app_id, f"YD20261201-{rng.randrange(10**6):06d}",
                 uuid.UUID(int=rng.getrandbits(128)).hex, now))
            for item in ("dibao", "education_aid"):
                db.execute("INSERT INTO application_items (application_id, item, position, "
                           "status, routing_revision) VALUES (?, ?, 0, 'decided', 0)",
                           (app_id, item))
            db.execute("INSERT INTO history (application_id, at, event, detail) "
                       "VALUES (?, ?, 'received', '')", (app_id, now))
    db.close()


def test_copies_keep_keys_unique_and_references_whole(tmp_path: Path, rng: random.Random) -> None:
    _seed(tmp_path / "intake.db", rng, 20)

    rows = multiply(tmp_path, None, "", 4, Progress())

    assert rows["intake: applications"] == 80
    assert rows["intake: application_items"] == 160
    assert rows["intake: history"] == 80
    db = sqlite3.connect(tmp_path / "intake.db")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # Every copy's items belong to an application of the copies, as the originals' do.
    assert db.execute("SELECT count(*) FROM application_items i LEFT JOIN applications a "
                      "ON a.id = i.application_id WHERE a.id IS NULL").fetchone() == (0,)
    for column in ("id", "receipt_no", "idempotency_key"):
        assert db.execute(f"SELECT count(DISTINCT {column}) FROM applications").fetchone() == (80,)
    # Item codes, statuses and lengths of keys are the originals' (VARCHAR(n) still fits).
    assert {r[0] for r in db.execute("SELECT DISTINCT item FROM application_items")} == {
        "dibao", "education_aid"}
    assert {r[0] for r in db.execute("SELECT DISTINCT length(id) FROM applications")} == {32}
