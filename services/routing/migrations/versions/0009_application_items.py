"""Every item the application asks, kept with it (passed on in each TaskAssigned, so that a
grant without application (免申即享) knows what was asked of another department).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=op.get_context().version_table_schema) as batch:
        batch.add_column(sa.Column("items", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=op.get_context().version_table_schema) as batch:
        batch.drop_column("items")
