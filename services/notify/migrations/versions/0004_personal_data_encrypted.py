"""Personal data encrypted at rest: each case's name and phone, each notice's recipient and
text, and the whole messages of the outbox and the dead letters, are read in clear and written
sealed with the data key.

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


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('cases', schema=schema) as batch_op:
        batch_op.alter_column('name', existing_type=sa.String(length=50), type_=sa.Text())
        batch_op.alter_column('phone', existing_type=sa.String(length=20), type_=sa.Text())
    with op.batch_alter_table('notices', schema=schema) as batch_op:
        batch_op.alter_column('recipient', existing_type=sa.String(length=100), type_=sa.Text())
    convert('cases', 'application_id', ('name', 'phone'), schema, seal=True)
    convert('notices', 'id', ('recipient', 'text'), schema, seal=True)
    convert('outbox', 'id', ('payload',), schema, seal=True, binary=True)
    convert('dead_letters', 'id', ('data',), schema, seal=True, binary=True)


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    convert('cases', 'application_id', ('name', 'phone'), schema, seal=False)
    convert('notices', 'id', ('recipient', 'text'), schema, seal=False)
    convert('outbox', 'id', ('payload',), schema, seal=False, binary=True)
    convert('dead_letters', 'id', ('data',), schema, seal=False, binary=True)
    with op.batch_alter_table('notices', schema=schema) as batch_op:
        batch_op.alter_column('recipient', existing_type=sa.Text(), type_=sa.String(length=100))
    with op.batch_alter_table('cases', schema=schema) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.Text(), type_=sa.String(length=20))
        batch_op.alter_column('name', existing_type=sa.Text(), type_=sa.String(length=50))

