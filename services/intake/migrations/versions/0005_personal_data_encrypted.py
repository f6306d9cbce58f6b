"""Personal data encrypted at rest: each application's applicant, household, description and
on-behalf-of, each notice's recipient and text, and the whole messages of the outbox and the
dead letters are read in clear and written sealed with the data key; the identity number and
the name are searched by keyed hashes (the clear name column goes).

Revision ID: 0005
Revises: 0004

The data step is ``services.common.migration_sealing.convert`` (the service's own keys, at
start; a value already sealed is left as it is). The normal forms hashed are written out here,
as ``services.intake.search`` has them today (a revision must not change when that code does).
"""

import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from services.common.migration_sealing import convert, opened

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_COLUMNS = ('applicant', 'household', 'on_behalf_of')


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        for column in JSON_COLUMNS:
            batch_op.alter_column(column, existing_type=sa.JSON(), type_=sa.Text(),
                                  postgresql_using=f'{column}::text')
        batch_op.add_column(sa.Column('name_key', sa.String(length=64), nullable=True))
    with op.batch_alter_table('notifications', schema=schema) as batch_op:
        batch_op.alter_column('recipient', existing_type=sa.String(length=100), type_=sa.Text())
    convert('applications', 'id', ('applicant', 'household', 'description', 'on_behalf_of'),
            schema, seal=True, json_columns=JSON_COLUMNS, derive=_search_keys)
    convert('notifications', 'id', ('recipient', 'text'), schema, seal=True)
    convert('outbox', 'id', ('payload',), schema, seal=True, binary=True)
    convert('dead_letters', 'id', ('data',), schema, seal=True, binary=True)
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        batch_op.drop_index('ix_applications_applicant_name')
        batch_op.drop_column('applicant_name')
        batch_op.alter_column('name_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_applications_name_key', ['name_key'], unique=False)


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        batch_op.add_column(sa.Column('applicant_name', sa.String(length=50), nullable=True))
    convert('applications', 'id', ('applicant', 'household', 'description', 'on_behalf_of'),
            schema, seal=False, json_columns=JSON_COLUMNS, derive=_search_clear)
    convert('notifications', 'id', ('recipient', 'text'), schema, seal=False)
    convert('outbox', 'id', ('payload',), schema, seal=False, binary=True)
    convert('dead_letters', 'id', ('data',), schema, seal=False, binary=True)
    with op.batch_alter_table('notifications', schema=schema) as batch_op:
        batch_op.alter_column('recipient', existing_type=sa.Text(), type_=sa.String(length=100))
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        batch_op.drop_index('ix_applications_name_key')
        batch_op.drop_column('name_key')
        batch_op.alter_column('applicant_name', existing_type=sa.String(length=50),
                              nullable=False)
        batch_op.create_index('ix_applications_applicant_name', ['applicant_name'], unique=False)
        for column in JSON_COLUMNS:
            batch_op.alter_column(column, existing_type=sa.Text(), type_=sa.JSON(),
                                  postgresql_using=f'{column}::json')


def _search_keys(keys: Any, row: Any) -> dict[str, str]:
    """The search columns sealed applications are found by: keyed hashes of the applicant's."""
    name, number = _applicant(keys, row)
    return {'name_key': keys.search_hash('name', _normal_name(name)),
            'id_number_key': keys.search_hash('id_number', number)}


def _search_clear(keys: Any, row: Any) -> dict[str, str]:
    """The search columns as they were before: the applicant's name and number in clear."""
    name, number = _applicant(keys, row)
    return {'applicant_name': name[:50], 'id_number_key': number[:64]}


def _applicant(keys: Any, row: Any) -> tuple[str, str]:
    applicant = json.loads(opened(keys, row.applicant, False, True) or '{}')
    return applicant.get('name', ''), applicant.get('id_number', '').strip().upper()


def _normal_name(value: str) -> str:
    return re.sub(r'\s+', '', unicodedata.normalize('NFKC', value)).casefold()
