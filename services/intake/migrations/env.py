"""Alembic environment of intake's migrations: see ``services.common.migrations.run_migrations``."""

from services.common.migrations import run_migrations
from services.intake.models import Base

run_migrations(Base.metadata)
