"""Personal data encrypted at rest: each case's name and phone, each notice's recipient and
text, and the whole messages of the outbox and the dead letters, are read in clear and written
sealed with the data key.

Revision ID: 0004
Revises: 0003

The keys are the service's own: the revision runs when the service migrates its database at
start (``Database(keys=...)`` puts them on the connection's dialect). A value already sealed
is left as it is.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
SEALED = 'od1.'  # how a sealed value starts (services.common.crypto)
JSON_COLUMNS = ()


def upgrade() -> None:
    schema = op.get_context().version_table_schema
    with op.batch_alter_table('cases', schema=schema) as batch_op:
        batch_op.alter_column('name', existing_type=sa.String(length=50), type_=sa.Text())
        batch_op.alter_column('phone', existing_type=sa.String(length=20), type_=sa.Text())
    with op.batch_alter_table('notices', schema=schema) as batch_op:
        batch_op.alter_column('recipient', existing_type=sa.String(length=100), type_=sa.Text())
    _convert('cases', 'application_id', ('name', 'phone'), schema, seal=True)
    _convert('notices', 'id', ('recipient', 'text'), schema, seal=True)
    _convert('outbox', 'id', ('payload',), schema, seal=True, binary=True)
    _convert('dead_letters', 'id', ('data',), schema, seal=True, binary=True)


def downgrade() -> None:
    schema = op.get_context().version_table_schema
    _convert('cases', 'application_id', ('name', 'phone'), schema, seal=False)
    _convert('notices', 'id', ('recipient', 'text'), schema, seal=False)
    _convert('outbox', 'id', ('payload',), schema, seal=False, binary=True)
    _convert('dead_letters', 'id', ('data',), schema, seal=False, binary=True)
    with op.batch_alter_table('notices', schema=schema) as batch_op:
        batch_op.alter_column('recipient', existing_type=sa.Text(), type_=sa.String(length=100))
    with op.batch_alter_table('cases', schema=schema) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.Text(), type_=sa.String(length=20))
        batch_op.alter_column('name', existing_type=sa.Text(), type_=sa.String(length=50))


def _keys() -> Any:
    keys = getattr(op.get_bind().dialect, 'onedoor_keys', None)
    if keys is None:
        raise RuntimeError('personal data is encrypted with the service\'s keys: let the service '
                           'migrate its database at start (onedoor run, onedoor up)')
    return keys


def _convert(table: str, key: str, columns: tuple[str, ...], schema: str | None, *, seal: bool,
             binary: bool = False) -> None:
    """Seal (or open) every value of ``columns``, batch by batch in ``key`` order."""
    kind = sa.LargeBinary if binary else sa.Text
    t = sa.table(table, sa.column(key), *(sa.column(c, kind) for c in columns), schema=schema)
    bind = op.get_bind()
    last = None
    while True:
        query = sa.select(t.c[key], *(t.c[c] for c in columns)).order_by(t.c[key]).limit(BATCH)
        rows = bind.execute(query if last is None else query.where(t.c[key] > last)).all()
        if not rows:
            return
        keys = _keys()
        values = [{'_key': getattr(row, key), **{
            f'_{c}': _sealed(keys, getattr(row, c), binary, c in JSON_COLUMNS) if seal
            else _opened(keys, getattr(row, c), binary, c in JSON_COLUMNS) for c in columns}}
            for row in rows]
        bind.execute(sa.update(t).where(t.c[key] == sa.bindparam('_key'))
                     .values({c: sa.bindparam(f'_{c}') for c in columns}), values)
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
