"""Personal data encrypted at rest: each task's applicant, household and description, and the
whole messages of the outbox and the dead letters, are read in clear and written sealed with
the data key.

Revision ID: 0004
Revises: 0003

The data step is ``services.common.migration_sealing.convert`` (the service's own keys, at
start; a value already sealed is left as it is).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.common.migration_sealing import convert

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_COLUMNS = ('applicant', 'household')


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('tasks', schema=schema) as batch_op:
        for column in JSON_COLUMNS:
            batch_op.alter_column(column, existing_type=sa.JSON(), type_=sa.Text(),
                                  postgresql_using=f'{column}::text')
    convert('tasks', 'id', ('applicant', 'household', 'description'), schema, seal=True,
            json_columns=JSON_COLUMNS)
    convert('outbox', 'id', ('payload',), schema, seal=True, binary=True)
    convert('dead_letters', 'id', ('data',), schema, seal=True, binary=True)


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    convert('tasks', 'id', ('applicant', 'household', 'description'), schema, seal=False,
            json_columns=JSON_COLUMNS)
    convert('outbox', 'id', ('payload',), schema, seal=False, binary=True)
    convert('dead_letters', 'id', ('data',), schema, seal=False, binary=True)
    with op.batch_alter_table('tasks', schema=schema) as batch_op:
        for column in JSON_COLUMNS:
            batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.JSON(),
                                  postgresql_using=f'{column}::json')

