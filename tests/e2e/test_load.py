"""Load, scaled for CI: applications through the whole system, every stage counted at the end.
The full 10,000 runs with ``make bench`` and prints its figures."""

from pathlib import Path

from bench import load
from tests.support.backends import Backend


def test_every_stage_counts_every_application(backend: Backend, tmp_path: Path) -> None:
    report = load.run(150, backend.data_dir, database_url=backend.database_url,
                      env=backend.env(), timeout=240)
    report.print()
    assert report.counts and not report.mismatches, report.mismatches
