"""The index by which processed-message ids are pruned once the stream cannot deliver their
messages again (relay.py), shared by every service's ``processed_pruning`` revision (intake
0008, routing 0008, departments 0006, notify 0006). Frozen: a later change is a new revision."""

from alembic import op

INDEX = "ix_processed_messages_processed_at"


def upgrade() -> None:
    op.create_index(INDEX, "processed_messages", ["processed_at"], unique=False)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="processed_messages")
