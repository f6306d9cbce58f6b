"""The transfer ledger (分办、转办台账): each hand-off's per-item due times, its acceptance and
result (from the departments' TaskAccepted and TaskDecided events), and its trace id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

Every new column is nullable: hand-offs made before this revision keep their rows (their
``items_due_at`` stays null; the ledger then shows the task's ``due_at`` for each item). Their
results are filled in when routing's new consumers read the stream's past TaskAccepted and
TaskDecided events. On SQLite, adding nullable columns is a plain ALTER (no table rebuild).

On PostgreSQL the ALTERs name the service's schema: the engine's schema translate map
applies to DDL built from tables (CREATE TABLE, CREATE INDEX), not to Alembic's ALTER TABLE,
which would otherwise look for the table on the search path.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("items_due_at", "accepted_by", "accepted_at", "result", "result_reason",
            "decided_by", "decided_at", "trace_id")


def _schema() -> str | None:
    """The service's schema (PostgreSQL), where its version table lives too; None on SQLite."""
    return op.get_context().version_table_schema


def upgrade() -> None:
    with op.batch_alter_table("handoffs", schema=_schema()) as batch_op:
        batch_op.add_column(sa.Column("items_due_at", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("accepted_by", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("result", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("result_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("trace_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("handoffs", schema=_schema()) as batch_op:
        for column in reversed(_COLUMNS):
            batch_op.drop_column(column)
