"""Alembic environment of the accounts' migrations: see ``services.common.migrations.run_migrations``."""

from services.accounts.models import Base
from services.common.migrations import run_migrations

run_migrations(Base.metadata)
