"""Personal data encrypted at rest: each application's applicant, household, description and
on-behalf-of, each notice's recipient and text, and the whole messages of the outbox and the
dead letters are read in clear and written sealed with the data key; the identity number and
the name are searched by keyed hashes (the clear name column goes).

Revision ID: 0005
Revises: 0004

The keys are the service's own: the revision runs when the service migrates its database at
start (``Database(keys=...)`` puts them on the connection's dialect). A value already sealed
is left as it is. The normal forms hashed are written out here, as ``services.intake.search``
has them today (a revision must not change when that code does).
"""

import json
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
SEALED = 'od1.'  # how a sealed value starts (services.common.crypto)
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
    _convert('applications', 'id', ('applicant', 'household', 'description', 'on_behalf_of'),
             schema, seal=True, search=True)
    _convert('notifications', 'id', ('recipient', 'text'), schema, seal=True)
    _convert('outbox', 'id', ('payload',), schema, seal=True, binary=True)
    _convert('dead_letters', 'id', ('data',), schema, seal=True, binary=True)
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        batch_op.drop_index('ix_applications_applicant_name')
        batch_op.drop_column('applicant_name')
        batch_op.alter_column('name_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_applications_name_key', ['name_key'], unique=False)


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('applications', schema=schema) as batch_op:
        batch_op.add_column(sa.Column('applicant_name', sa.String(length=50), nullable=True))
    _convert('applications', 'id', ('applicant', 'household', 'description', 'on_behalf_of'),
             schema, seal=False, search=True)
    _convert('notifications', 'id', ('recipient', 'text'), schema, seal=False)
    _convert('outbox', 'id', ('payload',), schema, seal=False, binary=True)
    _convert('dead_letters', 'id', ('data',), schema, seal=False, binary=True)
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


def _keys() -> Any:
    keys = getattr(op.get_bind().dialect, 'onedoor_keys', None)
    if keys is None:
        raise RuntimeError('personal data is encrypted with the service\'s keys: let the service '
                           'migrate its database at start (onedoor run, onedoor up)')
    return keys


def _normal_name(value: str) -> str:
    return re.sub(r'\s+', '', unicodedata.normalize('NFKC', value)).casefold()


def _convert(table: str, key: str, columns: tuple[str, ...], schema: str | None, *, seal: bool,
             binary: bool = False, search: bool = False) -> None:
    """Seal (or open) every value of ``columns``, batch by batch in ``key`` order; with
    ``search``, also the applications' search columns from the applicant."""
    kind = sa.LargeBinary if binary else sa.Text
    extra = ([sa.column('name_key', sa.String), sa.column('id_number_key', sa.String),
              sa.column('applicant_name', sa.String)] if search else [])
    t = sa.table(table, sa.column(key), *(sa.column(c, kind) for c in columns), *extra,
                 schema=schema)
    bind = op.get_bind()
    last = None
    while True:
        query = sa.select(t.c[key], *(t.c[c] for c in columns)).order_by(t.c[key]).limit(BATCH)
        rows = bind.execute(query if last is None else query.where(t.c[key] > last)).all()
        if not rows:
            return
        keys = _keys()
        values = []
        for row in rows:
            new = {c: _sealed(keys, getattr(row, c), binary, c in JSON_COLUMNS) if seal
                   else _opened(keys, getattr(row, c), binary, c in JSON_COLUMNS)
                   for c in columns}
            if search:
                applicant = json.loads(_opened(keys, row.applicant, False, True) or '{}')
                name = applicant.get('name', '')
                number = applicant.get('id_number', '').strip().upper()
                new |= ({'name_key': keys.search_hash('name', _normal_name(name)),
                         'id_number_key': keys.search_hash('id_number', number)} if seal else
                        {'applicant_name': name[:50], 'id_number_key': number[:64]})
            values.append({'_key': getattr(row, key), **{f'_{c}': v for c, v in new.items()}})
        changed = list(new)
        bind.execute(sa.update(t).where(t.c[key] == sa.bindparam('_key'))
                     .values({c: sa.bindparam(f'_{c}') for c in changed}), values)
        last = rows[-1][0]


def _sealed(keys: Any, value: Any, binary: bool, json_column: bool) -> Any:
    if value is None or (json_column and value == 'null'):  # JSON's null: SQL NULL now
        return None
    if binary:
        value = bytes(value)
        return value if value.startswith(SEALED.encode()) else keys.data.seal(value).encode()
    return value if value.startswith(SEALED) else keys.data.seal(value.encode('utf-8'))


def _opened(keys: Any, value: Any, binary: bool, json_column: bool) -> Any:
    if value is None:
        return 'null' if json_column else None
    if binary:
        value = bytes(value)
        return keys.data.open(value) if value.startswith(SEALED.encode()) else value
    return keys.data.open(value).decode('utf-8') if value.startswith(SEALED) else value
