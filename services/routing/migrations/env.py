"""Alembic environment of routing's migrations: see ``services.common.migrations.run_migrations``."""

from services.common.migrations import run_migrations
from services.routing.models import Base

run_migrations(Base.metadata)
