"""Completion by items (a returned task is re-routed under a new id), referrals, and
decisions granted without application (免申即享).

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('cases', schema=schema) as batch_op:
        batch_op.add_column(sa.Column('expected_items', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('referred_items', sa.JSON(), nullable=True))
    with op.batch_alter_table('decisions', schema=schema) as batch_op:
        batch_op.add_column(sa.Column('automatic', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('decisions', schema=schema) as batch_op:
        batch_op.drop_column('automatic')
    with op.batch_alter_table('cases', schema=schema) as batch_op:
        batch_op.drop_column('referred_items')
        batch_op.drop_column('expected_items')
