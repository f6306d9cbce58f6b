"""Alembic environment of notify's migrations: see ``services.common.migrations.run_migrations``."""

from services.common.migrations import run_migrations
from services.notify.models import Base

run_migrations(Base.metadata)
