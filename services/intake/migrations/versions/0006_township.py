"""The township of each application: the receiving account's, so that a window reads only
its own township's applications. Those received before accounts existed have none (read by
supervisors, and by window accounts without a township).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=op.get_context().version_table_schema) as batch_op:
        batch_op.add_column(sa.Column('township', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_applications_township'), ['township'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=op.get_context().version_table_schema) as batch_op:
        batch_op.drop_index(batch_op.f('ix_applications_township'))
        batch_op.drop_column('township')
