"""Search at the window: the applicant's name, village and identity number in indexed columns
of their own, filled from each existing application's applicant.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    # Added empty, filled from each application's applicant, then required.
    columns = [('applicant_name', 50), ('village', 100), ('id_number_key', 64)]
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        for name, length in columns:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    _backfill(schema)
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        for name, length in columns:
            batch_op.alter_column(name, existing_type=sa.String(length=length), nullable=False)
            batch_op.create_index(f'ix_applications_{name}', [name], unique=False)


def _backfill(schema: str | None) -> None:
    """Each existing application's search columns, from its applicant as registered. The
    identity number is normalised as ``services.intake.search`` does today (written out
    here: a revision must not change when that code does)."""
    applications = sa.table('applications', sa.column('id', sa.String),
                            sa.column('applicant', sa.JSON),
                            sa.column('applicant_name', sa.String), sa.column('village', sa.String),
                            sa.column('id_number_key', sa.String), schema=schema)
    bind = op.get_bind()
    rows = bind.execute(sa.select(applications.c.id, applications.c.applicant)).all()
    fill = (sa.update(applications).where(applications.c.id == sa.bindparam('_id'))
            .values(applicant_name=sa.bindparam('_name'), village=sa.bindparam('_village'),
                    id_number_key=sa.bindparam('_key')))
    values = [{'_id': id_, '_name': (applicant or {}).get('name', '')[:50],
               '_village': (applicant or {}).get('village', '')[:100],
               '_key': (applicant or {}).get('id_number', '').strip().upper()[:64]}
              for id_, applicant in rows]
    for start in range(0, len(values), BATCH):
        bind.execute(fill, values[start:start + BATCH])


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        batch_op.drop_index('ix_applications_village')
        batch_op.drop_index('ix_applications_id_number_key')
        batch_op.drop_index('ix_applications_applicant_name')
        batch_op.drop_column('id_number_key')
        batch_op.drop_column('village')
        batch_op.drop_column('applicant_name')
