"""trace context

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:40:49.349559
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notices', schema=op.get_context().version_table_schema) as batch_op:
        batch_op.add_column(sa.Column('trace_parent', sa.JSON(), nullable=True))

    with op.batch_alter_table('outbox', schema=op.get_context().version_table_schema) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=op.get_context().version_table_schema) as batch_op:
        batch_op.drop_column('headers')

    with op.batch_alter_table('notices', schema=op.get_context().version_table_schema) as batch_op:
        batch_op.drop_column('trace_parent')

