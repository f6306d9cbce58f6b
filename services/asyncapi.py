"""The AsyncAPI document of every service, generated from their subscribers and publishers.

``faststream docs gen --yaml services.asyncapi:docs -o docs/asyncapi.yaml`` (``make asyncapi``).
Tooling, not a service: it builds each service's broker without connecting anything.
"""

from types import SimpleNamespace

from faststream.specification import AsyncAPI

from services.common.runtime import Runtime
from services.common.settings import Settings
from services.departments import nats as department_nats
from services.departments.models import MESSAGING as DEPARTMENT_MESSAGING
from services.departments.models import Base as DepartmentBase
from services.intake.app import build_runtime as intake_runtime
from services.notify.app import build_runtime as notify_runtime
from services.routing.app import build_runtime as routing_runtime

VERSION = "1"


def _department() -> Runtime:
    """One department service, its subjects written with the ``{department}`` parameter."""
    runtime = Runtime(_SETTINGS, name="department", metadata=DepartmentBase.metadata,
                      tables=DEPARTMENT_MESSAGING)
    runtime.include(department_nats.build_router(runtime, "{department}"))
    return runtime


# An in-memory database URL: building a runtime opens nothing, but must not touch ./var.
_SETTINGS = Settings(database_url="sqlite+aiosqlite://")

docs = SimpleNamespace(schema=AsyncAPI(
    intake_runtime(_SETTINGS).broker,
    routing_runtime(_SETTINGS).broker,
    _department().broker,
    notify_runtime(_SETTINGS, lambda: None).broker,
    title="OneDoor — 一门受理、协同办理",
    version=VERSION,
    description="Events between the window (intake), routing, the departments and notify, "
                "all on the JetStream stream ONEDOOR. Every message is a versioned envelope "
                "(message_id, schema_version, type, occurred_at, application_id, "
                "correlation_id, causation_id) around its payload.",
))
