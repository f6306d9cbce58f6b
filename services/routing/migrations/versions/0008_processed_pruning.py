"""Processed-message ids pruned by age: an index on processed_at (the step every service
shares: services/common/migration_processed.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from services.common.migration_processed import downgrade, upgrade

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

__all__ = ["downgrade", "upgrade"]
