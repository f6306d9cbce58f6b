"""The audit trail: ``audit_log`` and ``audit_head``, append-only (the step every service
shares: services/common/migration_audit.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from services.common.migration_audit import downgrade, upgrade

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

__all__ = ["downgrade", "upgrade"]
