"""Routing's NATS entry points."""

from functools import partial

from faststream.nats import NatsRouter

from contracts import (
    ApplicationRoutedMessage,
    ApplicationSubmittedMessage,
    TaskAcceptedMessage,
    TaskAssignedMessage,
    TaskDecidedMessage,
    subjects,
)
from services.common.jetstream import consume, documented_publisher
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.routing import handlers


def build_router(runtime: Runtime, policy: Policy) -> NatsRouter:
    router = NatsRouter()
    consume(router, runtime.consumer("routing"), subjects.APPLICATION_SUBMITTED,
            model=ApplicationSubmittedMessage,
            handle=partial(handlers.route_application, policy=policy),
            description="Split an application into one task per department.")
    consume(router, runtime.consumer("routing-accepted"),
            subjects.all_departments(subjects.TASK_ACCEPTED),
            model=TaskAcceptedMessage, handle=handlers.record_accepted,
            description="Record in the ledger who accepted a hand-off, and when.")
    consume(router, runtime.consumer("routing-decided"),
            subjects.all_departments(subjects.TASK_DECIDED),
            model=TaskDecidedMessage, handle=handlers.record_decided,
            description="Record in the ledger the result of a hand-off (and a refusal's reason).")
    documented_publisher(router, subjects.TASK_ASSIGNED, TaskAssignedMessage,
                         "A department's part of an application (one task, its items, due time).")
    documented_publisher(router, subjects.APPLICATION_ROUTED, ApplicationRoutedMessage,
                         "How an application was split: every task with its department and due time.")
    return router
