"""Every item a task's application asks, of every department (TaskAssigned.application_items):
a grant without application (免申即享) announced before this department's own task arrives
must still see that the application asked for it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=op.get_context().version_table_schema) as batch:
        batch.add_column(sa.Column("application_items", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=op.get_context().version_table_schema) as batch:
        batch.drop_column("application_items")
