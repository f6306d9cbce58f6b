"""A department's NATS entry points."""

from functools import partial

from faststream.nats import NatsRouter

from contracts import (
    Department,
    HouseholdStatusConfirmedMessage,
    TaskAcceptedMessage,
    TaskAssignedMessage,
    TaskDeadlineExtendedMessage,
    TaskDecidedMessage,
    TaskMaterialsRequestedMessage,
    TaskMaterialsSupplementedMessage,
    TaskPaperworkCompletedMessage,
    TaskReturnedMessage,
    subjects,
)
from services.common.jetstream import consume, documented_publisher
from services.common.policy import Policy, load_policy
from services.common.runtime import Runtime
from services.departments import grants, handlers, handoffs


def build_router(runtime: Runtime, department: str, policy: Policy | None = None) -> NatsRouter:
    """Subscribe to this department's tasks only (``department`` may be a template for docs,
    which then shows every subscription a department can have)."""
    policy = policy or load_policy(runtime.settings.region)
    template = department not in set(Department)
    router = NatsRouter()
    own = partial(subjects.for_department, department=department)
    consume(router, runtime.consumer(f"department-{department}"), own(subjects.TASK_ASSIGNED),
            model=TaskAssignedMessage,
            handle=partial(handlers.receive_task, department=department, policy=policy),
            description="Queue a task handed to this department, with its post's holder.")
    consume(router, runtime.consumer(f"department-{department}-materials"),
            own(subjects.TASK_MATERIALS_SUPPLEMENTED), model=TaskMaterialsSupplementedMessage,
            handle=handoffs.materials_supplemented,
            description="Record materials the applicant brought; the task resumes.")
    consume(router, runtime.consumer(f"department-{department}-deadlines"),
            own(subjects.TASK_DEADLINE_EXTENDED), model=TaskDeadlineExtendedMessage,
            handle=handoffs.deadline_extended,
            description="Move a task's due time, as a supervisor approved.")
    # 免申即享: only a department that gives a grant listens for confirmed households.
    if template or any(g.department == department for g in policy.automatic_grants):
        consume(router, runtime.consumer(f"department-{department}-grants"),
                subjects.HOUSEHOLD_STATUS_CONFIRMED, model=HouseholdStatusConfirmedMessage,
                handle=partial(grants.grant_automatically, department=department, policy=policy),
                description="Grant the students of a confirmed household their aid (免申即享).")
    confirms = {i for g in policy.automatic_grants for i in g.when_approved}
    own_policy = policy.departments.get(department)  # type: ignore[call-overload]
    handles = confirms if template else set(own_policy.items if own_policy else [])
    if confirms & handles:
        documented_publisher(router, subjects.HOUSEHOLD_STATUS_CONFIRMED,
                             HouseholdStatusConfirmedMessage,
                             "A household's status confirmed by an approval (免申即享 follows).")
    for template_subject, model, description in (
        (subjects.TASK_ACCEPTED, TaskAcceptedMessage, "A department took a task on."),
        (subjects.TASK_DECIDED, TaskDecidedMessage,
         "A department's decision, with the reason for a refusal."),
        (subjects.TASK_RETURNED, TaskReturnedMessage,
         "A department says a task is not its own, and why."),
        (subjects.TASK_MATERIALS_REQUESTED, TaskMaterialsRequestedMessage,
         "A department needs more materials, all listed at once."),
        (subjects.TASK_PAPERWORK_COMPLETED, TaskPaperworkCompletedMessage,
         "The paperwork of emergency aid given before it is complete."),
    ):
        documented_publisher(router, own(template_subject), model, description)
    return router
