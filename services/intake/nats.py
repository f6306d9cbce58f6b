"""Intake's NATS entry points: the events that update the window's combined view."""

from functools import partial
from typing import Any

from faststream.nats import NatsRouter
from sqlalchemy import select

from contracts import (
    ApplicationCompletedMessage,
    ApplicationHandedOverMessage,
    ApplicationMaterialsRequestedMessage,
    ApplicationRefusedMessage,
    ApplicationRoutedMessage,
    ApplicationSubmittedMessage,
    ItemsReferredMessage,
    JointMeetingQueuedMessage,
    NotificationSentMessage,
    TaskAcceptedMessage,
    TaskDeadlineExtendedMessage,
    TaskDecidedMessage,
    TaskMaterialsRequestedMessage,
    TaskMaterialsSupplementedMessage,
    TaskReturnedMessage,
    subjects,
)
from services.common.consumer import BatchConsumer
from services.common.jetstream import consume, documented_publisher
from services.common.policy import Policy
from services.common.runtime import Runtime
from services.common.uow import Transaction
from services.intake import projections
from services.intake.models import Application


def build_router(runtime: Runtime, policy: Policy) -> NatsRouter:
    router = NatsRouter()
    documented_publisher(router, subjects.APPLICATION_SUBMITTED, ApplicationSubmittedMessage,
                         "An application accepted with every material, to be split by routing.")
    documented_publisher(router, subjects.APPLICATION_MATERIALS_REQUESTED,
                         ApplicationMaterialsRequestedMessage,
                         "Everything missing, in one notice (一次性告知), for notify to send.")
    documented_publisher(router, subjects.APPLICATION_REFUSED, ApplicationRefusedMessage,
                         "Items refused at the door, with the reason and where to go instead.")
    documented_publisher(router, subjects.APPLICATION_HANDED_OVER, ApplicationHandedOverMessage,
                         "The first receiver handed the application over to a colleague.")
    documented_publisher(router, subjects.TASK_MATERIALS_SUPPLEMENTED,
                         TaskMaterialsSupplementedMessage,
                         "The materials a department asked for were brought to the window.")

    def _consume(consumer: BatchConsumer, subject: str, **kwargs: Any) -> None:
        consume(router, consumer, subject, lock=lock_applications, **kwargs)

    _consume(runtime.consumer("intake-routed"), subjects.APPLICATION_ROUTED,
             model=ApplicationRoutedMessage, handle=projections.record_routed,
             description="Record each item's task and due time in the combined view.")
    _consume(runtime.consumer("intake-accepted"), subjects.all_departments(subjects.TASK_ACCEPTED),
             model=TaskAcceptedMessage, handle=projections.record_accepted,
             description="Record a department's acceptance of its task.")
    _consume(runtime.consumer("intake-decided"), subjects.all_departments(subjects.TASK_DECIDED),
             model=TaskDecidedMessage, handle=partial(projections.record_decided, policy=policy),
             description="Record a department's decision on its items.")
    _consume(runtime.consumer("intake-returned"), subjects.all_departments(subjects.TASK_RETURNED),
             model=TaskReturnedMessage, handle=projections.record_returned,
             description="Mark items a department returned as not theirs.")
    _consume(runtime.consumer("intake-materials"),
             subjects.all_departments(subjects.TASK_MATERIALS_REQUESTED),
             model=TaskMaterialsRequestedMessage,
             handle=partial(projections.relay_materials_request, policy=policy),
             description="Relay a department's request for materials in one notice.")
    _consume(runtime.consumer("intake-extended"),
             subjects.all_departments(subjects.TASK_DEADLINE_EXTENDED),
             model=TaskDeadlineExtendedMessage, handle=projections.record_extended,
             description="Record an approved extension of a task's time limit.")
    _consume(runtime.consumer("intake-joint-meeting"), subjects.JOINT_MEETING_QUEUED,
             model=JointMeetingQueuedMessage, handle=projections.record_joint_meeting,
             description="Mark items put before the joint meeting.")
    _consume(runtime.consumer("intake-referred"), subjects.ITEMS_REFERRED,
             model=ItemsReferredMessage, handle=projections.record_referred,
             description="Mark items referred to a charity or social organisation.")
    _consume(runtime.consumer("intake-notified"), subjects.NOTIFICATION_SENT,
             model=NotificationSentMessage, handle=projections.record_notification,
             description="Record a notice sent to the applicant or the window.")
    _consume(runtime.consumer("intake-completed"), subjects.APPLICATION_COMPLETED,
             model=ApplicationCompletedMessage, handle=projections.record_completed,
             description="Mark the application completed in the combined view.")
    return router


async def lock_applications(tx: Transaction, messages: list[Any]) -> None:
    """The batch's applications' rows locked first, in one order (PostgreSQL): copies of intake
    applying two events of one application at once would each rebuild its status without the
    other's change, the second overwriting the first."""
    if messages and tx.session.bind.dialect.name == "postgresql":
        ids = sorted({m.application_id for m in messages})
        await tx.session.execute(select(Application.id).where(Application.id.in_(ids))
                                 .order_by(Application.id).with_for_update())
