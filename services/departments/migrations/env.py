"""Alembic environment of the departments' migrations (each department has its own database).

See ``services.common.migrations.run_migrations``.
"""

from services.common.migrations import run_migrations
from services.departments.models import Base

run_migrations(Base.metadata)
