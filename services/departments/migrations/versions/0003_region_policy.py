"""Region policy in a department: who has each task (同岗替代) and the holders' absences,
preliminary review, returns, materials requests, emergency paperwork, automatic grants
(免申即享), and every task's history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

New tables are created without a schema name (the schema translate map places them, as in
0001); altering an existing table names the service's schema, as 0002 does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TASK_COLUMNS = [
    sa.Column("accept_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("routing_note", sa.Text(), nullable=True),
    sa.Column("post", sa.String(length=50), nullable=True),
    sa.Column("assignee", sa.String(length=50), nullable=True),
    sa.Column("reviewed_by", sa.String(length=50), nullable=True),
    sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("review_opinion", sa.Text(), nullable=True),
    sa.Column("returned_by", sa.String(length=50), nullable=True),
    sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("returned_reason", sa.Text(), nullable=True),
    sa.Column("suggested_department", sa.String(length=30), nullable=True),
    sa.Column("materials_requests", sa.JSON(), nullable=True),
    sa.Column("paperwork_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("paperwork_completed_by", sa.String(length=50), nullable=True),
    sa.Column("paperwork_completed_at", sa.DateTime(timezone=True), nullable=True),
    # A server default so that the tasks already there read as not automatic.
    sa.Column("automatic", sa.Boolean(), server_default=sa.false(), nullable=False),
]


def upgrade() -> None:
    op.create_table(
        "absences",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("post", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=50), nullable=False),
        sa.Column("approved_by", sa.String(length=50), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_absences_post", "absences", ["post"])
    op.create_table(
        "task_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("by", sa.String(length=50), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_history_task_id", "task_history", ["task_id"])
    with op.batch_alter_table("tasks", schema=op.get_context().version_table_schema) as batch_op:
        for column in _TASK_COLUMNS:
            batch_op.add_column(column)
        batch_op.create_index("ix_tasks_assignee", ["assignee"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=op.get_context().version_table_schema) as batch_op:
        batch_op.drop_index("ix_tasks_assignee")
        for column in reversed(_TASK_COLUMNS):
            batch_op.drop_column(column.name)
    op.drop_table("task_history")
    op.drop_table("absences")
