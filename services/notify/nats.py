"""Notify's NATS entry points."""

from functools import partial

from faststream.nats import NatsRouter

from contracts import (
    ApplicationCompletedMessage,
    ApplicationHandedOverMessage,
    ApplicationMaterialsRequestedMessage,
    ApplicationRefusedMessage,
    ApplicationRoutedMessage,
    ApplicationSubmittedMessage,
    ItemsReferredMessage,
    NotificationSentMessage,
    SupervisionEscalatedMessage,
    SupervisionWarnedMessage,
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
    consume(router, runtime.consumer("notify-materials"), subjects.APPLICATION_MATERIALS_REQUESTED,
            model=ApplicationMaterialsRequestedMessage,
            handle=partial(handlers.record_materials_requested, wake=wake),
            description="Send the one-time notice of every missing material (一次性告知).")
    consume(router, runtime.consumer("notify-refused"), subjects.APPLICATION_REFUSED,
            model=ApplicationRefusedMessage, handle=partial(handlers.record_refused, wake=wake),
            description="Send the written refusal at the door, with where to go instead.")
    consume(router, runtime.consumer("notify-referred"), subjects.ITEMS_REFERRED,
            model=ItemsReferredMessage, handle=partial(handlers.record_referred, wake=wake),
            description="Tell of a referral (转介); referred items count as closed.")
    consume(router, runtime.consumer("notify-handed-over"), subjects.APPLICATION_HANDED_OVER,
            model=ApplicationHandedOverMessage,
            handle=partial(handlers.record_handed_over, wake=wake),
            description="Address the window's notices to the new owner of the application.")
    consume(router, runtime.consumer("notify-escalated"), subjects.SUPERVISION_ESCALATED,
            model=SupervisionEscalatedMessage, handle=partial(handlers.record_alert, wake=wake),
            description="Tell the supervisor the policy names of an overdue item (督办).")
    consume(router, runtime.consumer("notify-warned"), subjects.SUPERVISION_WARNED,
            model=SupervisionWarnedMessage, handle=partial(handlers.record_alert, wake=wake),
            description="Warn the supervisor of an item about to be late (预警).")
    documented_publisher(router, subjects.NOTIFICATION_SENT, NotificationSentMessage,
                         "A notice sent to the applicant (SMS) or the window inbox.")
    documented_publisher(router, subjects.APPLICATION_COMPLETED, ApplicationCompletedMessage,
                         "Every task of the application is decided; the applicant is told.")
    return router
