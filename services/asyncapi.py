"""The AsyncAPI document of every service, generated from their subscribers and publishers.

``faststream docs gen --yaml services.asyncapi:docs -o docs/asyncapi.yaml`` (``make asyncapi``).
Tooling, not a service: it builds each service's broker without connecting anything.

faststream lists channels, operations, messages and schemas in the order the brokers happen
to hold them, which is not fixed: here they are put in name order, so that generating the
document again leaves no diff when nothing changed.
"""

import json
from io import StringIO
from types import SimpleNamespace
from typing import Any

import yaml
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
TITLE = "OneDoor — 一门受理、协同办理"
DESCRIPTION = ("Events between the window (intake), routing, the departments and notify, all on "
               "the JetStream stream ONEDOOR. Every message is a versioned envelope (message_id, "
               "schema_version, type, occurred_at, application_id, correlation_id, causation_id) "
               "around its payload.")
# Maps of the document whose entries are put in name order.
SORTED = (("channels",), ("operations",), ("components", "messages"), ("components", "schemas"))


class StableDocument:
    """What ``faststream docs gen`` asks for (``to_specification``, then ``to_yaml`` or
    ``to_jsonable``), with the maps of ``SORTED`` in name order."""

    def __init__(self, factory: AsyncAPI) -> None:
        self.factory = factory
        self.title = factory.title

    def to_specification(self) -> "StableDocument":
        return self

    def to_jsonable(self) -> Any:
        document = self.factory.to_specification().to_jsonable()
        for path in SORTED:
            *parents, key = path
            holder = document
            for parent in parents:
                holder = holder.get(parent, {})
            if key in holder:
                holder[key] = dict(sorted(holder[key].items()))
        return document

    def to_json(self) -> str:
        return json.dumps(self.to_jsonable())

    def to_yaml(self) -> str:
        out = StringIO(newline="\n")
        yaml.dump(self.to_jsonable(), out, sort_keys=False)  # as faststream writes it
        return out.getvalue()


def _department() -> Runtime:
    """One department service, its subjects written with the ``{department}`` parameter."""
    runtime = Runtime(_SETTINGS, name="department", metadata=DepartmentBase.metadata,
                      tables=DEPARTMENT_MESSAGING)
    runtime.include(department_nats.build_router(runtime, "{department}"))
    return runtime


# An in-memory database URL: building a runtime opens nothing, but must not touch ./var.
_SETTINGS = Settings(database_url="sqlite+aiosqlite://")


def brokers() -> list[Any]:
    """Every service's broker, built without connecting."""
    return [intake_runtime(_SETTINGS).broker, routing_runtime(_SETTINGS).broker,
            _department().broker, notify_runtime(_SETTINGS, lambda: None).broker]


def document(*of: Any) -> StableDocument:
    return StableDocument(AsyncAPI(*of, title=TITLE, version=VERSION, description=DESCRIPTION))


docs = SimpleNamespace(schema=document(*brokers()))
