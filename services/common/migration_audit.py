"""The audit trail's one schema step, shared by every service's ``audit_trail`` revision
(intake 0007, routing 0007, departments 0005, notify 0005): ``audit_log`` (who read or changed
which case, when, from where, with what outcome; each row's hash chained to the previous one)
and ``audit_head`` (the chain's last row and hash, updated with each row: it serialises the
writers). Frozen as those revisions are: a later change is a new revision, not an edit here.

Triggers refuse UPDATE and DELETE of ``audit_log`` (and TRUNCATE on PostgreSQL): rows are only
ever appended. On PostgreSQL the function and triggers name the service's schema (the
engine's schema translate map applies to DDL built from tables, not to these statements).
"""

import sqlalchemy as sa
from alembic import op

GENESIS = '0' * 64


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=True),
    sa.Column('username', sa.String(length=50), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('route', sa.String(length=250), nullable=False),
    sa.Column('application_id', sa.String(length=64), nullable=True),
    sa.Column('task_id', sa.String(length=64), nullable=True),
    sa.Column('target', sa.String(length=200), nullable=True),
    sa.Column('query', sa.String(length=200), nullable=True),
    sa.Column('results', sa.Integer(), nullable=True),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_audit_log_application_id', 'audit_log', ['application_id'], unique=False)
    op.create_index('ix_audit_log_username', 'audit_log', ['username'], unique=False)
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
    head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_id', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(head, [{'id': 1, 'last_id': 0, 'last_hash': GENESIS}])
    for statement in _triggers():
        op.execute(statement)


def downgrade() -> None:
    for statement in _dropped():
        op.execute(statement)
    op.drop_table('audit_head')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_index('ix_audit_log_username', table_name='audit_log')
    op.drop_index('ix_audit_log_application_id', table_name='audit_log')
    op.drop_table('audit_log')


def _qualified(name: str) -> str:
    """``name`` in the service's schema (PostgreSQL), quoted."""
    bind = op.get_bind()
    schema = op.get_context().version_table_schema
    quote = bind.dialect.identifier_preparer
    return (quote.quote_schema(schema) + '.' if schema else '') + quote.quote(name)


def _triggers() -> list[str]:
    if op.get_bind().dialect.name == 'sqlite':
        return [f"CREATE TRIGGER audit_log_no_{what.lower()} BEFORE {what} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {what} refused'); END"
                for what in ('UPDATE', 'DELETE')]
    function, table = _qualified('audit_log_append_only'), _qualified('audit_log')
    return [
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP "
        f"USING ERRCODE = 'insufficient_privilege'; END $$",
        f"CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _dropped() -> list[str]:
    if op.get_bind().dialect.name == 'sqlite':
        return ['DROP TRIGGER IF EXISTS audit_log_no_update',
                'DROP TRIGGER IF EXISTS audit_log_no_delete']
    table = _qualified('audit_log')
    return [f'DROP TRIGGER IF EXISTS audit_log_no_truncate ON {table}',
            f'DROP TRIGGER IF EXISTS audit_log_append_only ON {table}',
            f"DROP FUNCTION IF EXISTS {_qualified('audit_log_append_only')}()"]
