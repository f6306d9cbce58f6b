"""Partial indexes on the open hand-offs (undecided; paperwork outstanding): supervision reads
them every minute among years of closed ones (the history bench found a full scan).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNDECIDED = "decided_at IS NULL"
PAPERWORK_OPEN = "paperwork_due_at IS NOT NULL AND paperwork_completed_at IS NULL"


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    for name, where in (("ix_handoffs_undecided", UNDECIDED),
                        ("ix_handoffs_paperwork_open", PAPERWORK_OPEN)):
        op.create_index(name, "handoffs", ["id"], schema=schema,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    op.drop_index("ix_handoffs_paperwork_open", table_name="handoffs", schema=schema)
    op.drop_index("ix_handoffs_undecided", table_name="handoffs", schema=schema)
