"""Intake's NATS entry points: the events that update the window's combined view."""

from faststream.nats import NatsRouter

from contracts import (
    ApplicationCompletedMessage,
    ApplicationRoutedMessage,
    ApplicationSubmittedMessage,
    NotificationSentMessage,
    TaskAcceptedMessage,
    TaskDecidedMessage,
    subjects,
)
from services.common.jetstream import consume, documented_publisher
from services.common.runtime import Runtime
from services.intake import handlers


def build_router(runtime: Runtime) -> NatsRouter:
    router = NatsRouter()
    documented_publisher(router, subjects.APPLICATION_SUBMITTED, ApplicationSubmittedMessage,
                         "An application registered at the window, to be split by routing.")
    consume(router, runtime.consumer("intake-routed"), subjects.APPLICATION_ROUTED,
            model=ApplicationRoutedMessage, handle=handlers.record_routed,
            description="Record each item's task and due time in the combined view.")
    consume(router, runtime.consumer("intake-accepted"),
            subjects.all_departments(subjects.TASK_ACCEPTED),
            model=TaskAcceptedMessage, handle=handlers.record_accepted,
            description="Record a department's acceptance of its task.")
    consume(router, runtime.consumer("intake-decided"),
            subjects.all_departments(subjects.TASK_DECIDED),
            model=TaskDecidedMessage, handle=handlers.record_decided,
            description="Record a department's decision on its items.")
    consume(router, runtime.consumer("intake-notified"), subjects.NOTIFICATION_SENT,
            model=NotificationSentMessage, handle=handlers.record_notification,
            description="Record a notice sent to the applicant or the window.")
    consume(router, runtime.consumer("intake-completed"), subjects.APPLICATION_COMPLETED,
            model=ApplicationCompletedMessage, handle=handlers.record_completed,
            description="Mark the application completed in the combined view.")
    return router
