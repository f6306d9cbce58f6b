"""A department's NATS entry points."""

from faststream.nats import NatsRouter

from contracts import TaskAcceptedMessage, TaskAssignedMessage, TaskDecidedMessage, subjects
from services.common.jetstream import consume, documented_publisher
from services.common.runtime import Runtime
from services.departments import handlers


def build_router(runtime: Runtime, department: str) -> NatsRouter:
    """Subscribe to this department's tasks only (``department`` may be a template for docs)."""
    router = NatsRouter()
    consume(router, runtime.consumer(f"department-{department}"),
            subjects.for_department(subjects.TASK_ASSIGNED, department),
            model=TaskAssignedMessage, handle=handlers.receive_task,
            description="Queue a task handed to this department.")
    documented_publisher(router, subjects.for_department(subjects.TASK_ACCEPTED, department),
                         TaskAcceptedMessage, "A department took a task on.")
    documented_publisher(router, subjects.for_department(subjects.TASK_DECIDED, department),
                         TaskDecidedMessage, "A department's decision, with the reason for a refusal.")
    return router
