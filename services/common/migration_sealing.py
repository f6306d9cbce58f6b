"""The data step of the revisions that encrypt personal data at rest (intake 0005, routing
0006, departments 0004, notify 0004): seal, or open again, every value of some columns.

The keys are the service's own: such a revision runs when the service migrates its database at
start (``Database(keys=...)`` puts them on the connection's dialect). A value already sealed is
left as it is.

Part of the migrations' history: released revisions call these functions, and a revision must
do the same thing whenever and on whatever database it runs. Once released, their behaviour
must not change, not even when ``services.common.crypto``, the keys or the models do (which is
why the sealed prefix and the keys' attribute are written out here). A later need gets a new
function beside these; a mistake found here is repaired by a new revision, not by an edit.
Only SQLAlchemy, Alembic's ``op`` and the keys the service puts on the connection.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from services.common.keystore import Keys

BATCH = 500
SEALED = 'od1.'  # how a sealed value starts (services.common.crypto)

Derive = Callable[['Keys', Any], dict[str, str]]


def convert(table: str, key: str, columns: tuple[str, ...], schema: str | None, *, seal: bool,
            binary: bool = False, json_columns: tuple[str, ...] = (),
            derive: Derive | None = None) -> None:
    """Seal (or open) every value of ``columns``, batch by batch in ``key`` order.

    ``json_columns`` held JSON: its null becomes SQL NULL when sealed, and back when opened.
    ``derive(keys, row)``, given each row as read, returns more (string) columns to write with
    it: intake's search columns.
    """
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
        values = []
        for row in rows:
            new = {c: sealed(keys, getattr(row, c), binary, c in json_columns) if seal
                   else opened(keys, getattr(row, c), binary, c in json_columns)
                   for c in columns}
            if derive is not None:
                new |= derive(keys, row)
            values.append({'_key': getattr(row, key), **{f'_{c}': v for c, v in new.items()}})
        derived = [c for c in new if c not in columns]
        target = sa.table(table, sa.column(key), *(sa.column(c, kind) for c in columns),
                          *(sa.column(c, sa.String) for c in derived), schema=schema)
        bind.execute(sa.update(target).where(target.c[key] == sa.bindparam('_key'))
                     .values({c: sa.bindparam(f'_{c}') for c in new}), values)
        last = rows[-1][0]


def sealed(keys: 'Keys', value: Any, binary: bool, json_column: bool) -> Any:
    """``value`` sealed with the data key (as it is if it already is)."""
    if value is None or (json_column and value == 'null'):  # JSON's null: SQL NULL now
        return None
    if binary:
        value = bytes(value)
        return value if value.startswith(SEALED.encode()) else keys.data.seal(value).encode()
    return value if value.startswith(SEALED) else keys.data.seal(value.encode('utf-8'))


def opened(keys: 'Keys', value: Any, binary: bool, json_column: bool) -> Any:
    """``value`` opened (as it is if it is not sealed)."""
    if value is None:
        return 'null' if json_column else None
    if binary:
        value = bytes(value)
        return keys.data.open(value) if value.startswith(SEALED.encode()) else value
    return keys.data.open(value).decode('utf-8') if value.startswith(SEALED) else value


def _keys() -> 'Keys':
    # The service's own keys, put on the connection's dialect by Database(keys=...).
    keys = getattr(op.get_bind().dialect, 'onedoor_keys', None)
    if keys is None:
        raise RuntimeError('personal data is encrypted with the service\'s keys: let the service '
                           'migrate its database at start (onedoor run, onedoor up)')
    return keys
