"""Routing by disposition, returns, the joint meeting and supervision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

The ledger's hand-offs get their kind (task, referral, joint meeting), transfer and accept
due times, the legal clock's start, the return and where the items went next, and the
paperwork of emergency aid. New tables: what routing keeps of each application (to hand its
items on again), joint-meeting cases, supervision alerts, extensions.

Existing hand-offs stay: ``kind`` defaults to "task" on the server, every other new column is
nullable (old rows: no transfer/accept due; supervision then takes the accept limit from the
hand-off time). On SQLite, adding columns is a plain ALTER (no table rebuild).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = sa.DateTime(timezone=True)


def _handoff_columns() -> list[sa.Column]:
    """The hand-off's new columns (new objects each call: a Column belongs to one table)."""
    return [
        sa.Column("kind", sa.String(length=20), server_default="task", nullable=False),
        sa.Column("to_party", sa.String(length=200), nullable=True),
        sa.Column("limits_from", _WHEN, nullable=True),
        sa.Column("transfer_due_at", _WHEN, nullable=True),
        sa.Column("accept_due_at", _WHEN, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("routing_note", sa.Text(), nullable=True),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("returned_by", sa.String(length=100), nullable=True),
        sa.Column("returned_at", _WHEN, nullable=True),
        sa.Column("returned_reason", sa.Text(), nullable=True),
        sa.Column("suggested_department", sa.String(length=40), nullable=True),
        sa.Column("rerouted_to", sa.String(length=200), nullable=True),
        sa.Column("paperwork_due_at", _WHEN, nullable=True),
        sa.Column("paperwork_completed_at", _WHEN, nullable=True),
    ]


def _schema() -> str | None:
    """The service's schema (PostgreSQL), where its version table lives too; None on SQLite."""
    return op.get_context().version_table_schema


def upgrade() -> None:
    schema = _schema()
    with op.batch_alter_table("handoffs", schema=schema) as batch_op:
        for column in _handoff_columns():
            batch_op.add_column(column)
    op.create_table(
        "applications",
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("receipt_no", sa.String(length=32), nullable=False),
        sa.Column("received_by", sa.String(length=100), nullable=False),
        sa.Column("received_at", _WHEN, nullable=False),
        sa.Column("accepted_at", _WHEN, nullable=True),
        sa.Column("applicant", sa.JSON(), nullable=False),
        sa.Column("household", sa.JSON(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("application_id"),
        schema=schema,
    )
    op.create_table(
        "joint_meeting_cases",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("receipt_no", sa.String(length=32), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("queued_at", _WHEN, nullable=False),
        sa.Column("assign_due_at", _WHEN, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolved_by", sa.String(length=50), nullable=True),
        sa.Column("resolved_at", _WHEN, nullable=True),
        sa.Column("resolved_to", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("case_id"),
        schema=schema,
    )
    op.create_index("ix_joint_meeting_cases_application_id", "joint_meeting_cases",
                    ["application_id"], schema=schema)
    op.create_index("ix_joint_meeting_cases_status", "joint_meeting_cases", ["status"],
                    schema=schema)
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.String(length=32), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=40), nullable=True),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("due_at", _WHEN, nullable=False),
        sa.Column("supervisor", sa.String(length=100), nullable=False),
        sa.Column("raised_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("alert_id"),
        sa.UniqueConstraint("stage", "subject_id", "level", name="uq_alerts_stage_subject_level"),
        schema=schema,
    )
    op.create_index("ix_alerts_application_id", "alerts", ["application_id"], schema=schema)
    op.create_index("ix_alerts_raised_at", "alerts", ["raised_at"], schema=schema)
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("application_id", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=40), nullable=False),
        sa.Column("extend_by", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("from_due_at", _WHEN, nullable=False),
        sa.Column("to_due_at", _WHEN, nullable=False),
        sa.Column("extended_at", _WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema=schema,
    )
    op.create_index("ix_extensions_task_id", "extensions", ["task_id"], schema=schema)


def downgrade() -> None:
    schema = _schema()
    for table in ("extensions", "alerts", "joint_meeting_cases", "applications"):
        op.drop_table(table, schema=schema)
    with op.batch_alter_table("handoffs", schema=schema) as batch_op:
        for column in reversed(_handoff_columns()):
            batch_op.drop_column(column.name)
