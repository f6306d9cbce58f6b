"""The ledger's amount, and the trace a joint-meeting case was queued in.

Revision ID: 0005
Revises: 0004

A decision's amount is kept with its hand-off (the ledger shows it). A joint-meeting case
keeps the W3C trace context it was queued in, so that the meeting's decision continues the
application's trace. Both nullable: older rows have neither.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('handoffs', schema=schema) as batch_op:
        batch_op.add_column(sa.Column('result_amount', sa.Numeric(precision=12, scale=2),
                                      nullable=True))
    with op.batch_alter_table('joint_meeting_cases', schema=schema) as batch_op:
        batch_op.add_column(sa.Column('trace_parent', sa.JSON(), nullable=True))


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('joint_meeting_cases', schema=schema) as batch_op:
        batch_op.drop_column('trace_parent')
    with op.batch_alter_table('handoffs', schema=schema) as batch_op:
        batch_op.drop_column('result_amount')
