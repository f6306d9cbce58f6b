"""Tasks indexed by status in each list's order (the work to do among years of decided tasks).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tasks_status_assigned_at", "tasks", ["status", "assigned_at"])
    op.create_index("ix_tasks_status_due_at", "tasks", ["status", "due_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_tasks_status_due_at", table_name="tasks")
    op.drop_index("ix_tasks_status_assigned_at", table_name="tasks")
