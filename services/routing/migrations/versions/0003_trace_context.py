"""trace context

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:38:07.279597
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=op.get_context().version_table_schema) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=op.get_context().version_table_schema) as batch_op:
        batch_op.drop_column('headers')

