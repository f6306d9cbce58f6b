"""Region policy at the window: owner (首问负责), acceptance time, missing materials (一次性告知),
items without a department (joint meeting, referral, refused), and departments' requests for
more materials.

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
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('missing_materials', sa.JSON(), nullable=True))
        batch_op.create_index('ix_applications_owner', ['owner'], unique=False)
    with op.batch_alter_table('application_items', schema=schema) as batch_op:
        batch_op.alter_column('department', existing_type=sa.String(length=40), nullable=True)
        batch_op.add_column(sa.Column('go_to', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('routing_revision', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_table(
        'material_requests',
        sa.Column('id', sa.String(length=200), nullable=False),
        sa.Column('application_id', sa.String(length=32), nullable=False),
        sa.Column('task_id', sa.String(length=64), nullable=False),
        sa.Column('department', sa.String(length=40), nullable=False),
        sa.Column('materials', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('supplemented_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_material_requests_application_id', 'material_requests',
                    ['application_id'], unique=False)


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    op.drop_index('ix_material_requests_application_id', table_name='material_requests')
    op.drop_table('material_requests')
    with op.batch_alter_table('application_items', schema=schema) as batch_op:
        batch_op.drop_column('routing_revision')
        batch_op.drop_column('go_to')
        batch_op.alter_column('department', existing_type=sa.String(length=40), nullable=False)
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        batch_op.drop_index('ix_applications_owner')
        batch_op.drop_column('missing_materials')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('owner')
