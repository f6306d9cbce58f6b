"""Notify's NATS entry points."""

from functools import partial

from faststream.nats import NatsRouter

from contracts import (
    ApplicationCompletedMessage,
    ApplicationRoutedMessage,
    ApplicationSubmittedMessage,
    NotificationSentMessage,
    TaskDecidedMessage,
    subjects,
)
from services.common.jetstream import consume, documented_publisher
from services.common.runtime import Runtime
from services.notify import handlers
from services.notify.handlers import Wake


def build_router(runtime: Runtime, wake: Wake) -> NatsRouter:
    router = NatsRouter()
    consume(router, runtime.consumer("notify-submitted"), subjects.APPLICATION_SUBMITTED,
            model=ApplicationSubmittedMessage, handle=partial(handlers.record_submitted, wake=wake),
            description="Learn whom to tell: the applicant and the window staff who received it.")
    consume(router, runtime.consumer("notify-routed"), subjects.APPLICATION_ROUTED,
            model=ApplicationRoutedMessage, handle=partial(handlers.record_routed, wake=wake),
            description="Learn which tasks must all be decided before the case is complete.")
    consume(router, runtime.consumer("notify-decided"),
            subjects.all_departments(subjects.TASK_DECIDED),
            model=TaskDecidedMessage, handle=partial(handlers.record_decided, wake=wake),
            description="Tell the applicant and the window of a decision; complete the case.")
    documented_publisher(router, subjects.NOTIFICATION_SENT, NotificationSentMessage,
                         "A notice sent to the applicant (SMS) or the window inbox.")
    documented_publisher(router, subjects.APPLICATION_COMPLETED, ApplicationCompletedMessage,
                         "Every task of the application is decided; the applicant is told.")
    return router
