"""Routing's NATS entry points."""

from functools import partial

from faststream.nats import NatsRouter

from contracts import (
    ApplicationRoutedMessage,
    ApplicationSubmittedMessage,
    ItemsReferredMessage,
    JointMeetingQueuedMessage,
    SupervisionEscalatedMessage,
    SupervisionWarnedMessage,
    TaskAcceptedMessage,
    TaskAssignedMessage,
    TaskDeadlineExtendedMessage,
    TaskDecidedMessage,
    TaskPaperworkCompletedMessage,
    TaskReturnedMessage,
    subjects,
)
from services.common.jetstream import consume, documented_publisher
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.routing import handlers, returns


def build_router(runtime: Runtime, policy: Policy) -> NatsRouter:
    router = NatsRouter()
    consume(router, runtime.consumer("routing"), subjects.APPLICATION_SUBMITTED,
            model=ApplicationSubmittedMessage,
            handle=partial(handlers.route_application, policy=policy),
            description="Hand each item on by its disposition: a task per department, "
                        "referrals, the joint meeting.")
    consume(router, runtime.consumer("routing-accepted"),
            subjects.all_departments(subjects.TASK_ACCEPTED),
            model=TaskAcceptedMessage, handle=handlers.record_accepted,
            description="Record in the ledger who accepted a hand-off, and when.")
    consume(router, runtime.consumer("routing-decided"),
            subjects.all_departments(subjects.TASK_DECIDED),
            model=TaskDecidedMessage, handle=handlers.record_decided,
            description="Record in the ledger the result of a hand-off (and a refusal's reason).")
    consume(router, runtime.consumer("routing-returned"),
            subjects.all_departments(subjects.TASK_RETURNED),
            model=TaskReturnedMessage, handle=partial(returns.reroute_returned, policy=policy),
            description="Re-route a returned task once; a second return goes to the joint meeting.")
    consume(router, runtime.consumer("routing-paperwork"),
            subjects.all_departments(subjects.TASK_PAPERWORK_COMPLETED),
            model=TaskPaperworkCompletedMessage, handle=handlers.record_paperwork,
            description="Record that emergency aid's paperwork is in (its supervision ends).")
    for subject, model, description in (
        (subjects.TASK_ASSIGNED, TaskAssignedMessage,
         "A department's part of an application (one task, its items, due times)."),
        (subjects.APPLICATION_ROUTED, ApplicationRoutedMessage,
         "How an application was split, and each later hand-off (revision > 0)."),
        (subjects.ITEMS_REFERRED, ItemsReferredMessage,
         "Items referred to a charity or social organisation (转介)."),
        (subjects.JOINT_MEETING_QUEUED, JointMeetingQueuedMessage,
         "Items put before the joint meeting (no clear owner, or returned twice)."),
        (subjects.SUPERVISION_WARNED, SupervisionWarnedMessage,
         "A stage near its due time: the first supervisor is warned."),
        (subjects.SUPERVISION_ESCALATED, SupervisionEscalatedMessage,
         "A stage past its due time (level 1) or a further limit (level n), to level n's "
         "supervisor."),
        (subjects.TASK_DEADLINE_EXTENDED, TaskDeadlineExtendedMessage,
         "A supervisor extended a task's time limit, with the reason."),
    ):
        documented_publisher(router, subject, model, description)
    return router
