"""Subject names, named after the event they carry, and the one stream that holds them."""

from datetime import timedelta

STREAM = "ONEDOOR"
STREAM_SUBJECTS = ("onedoor.>",)
# Longer than the outbox relay's longest retry gap, so a re-publish after a crash or an
# outage of a few minutes is still recognised as a duplicate by the server.
DUPLICATE_WINDOW = timedelta(minutes=30)
# How long the stream keeps a message (a year of hand-offs stays replayable): past it no
# message can be delivered again, so a consumer need not remember having processed it.
STREAM_MAX_AGE = timedelta(days=365)

APPLICATION_SUBMITTED = "onedoor.application.submitted"
APPLICATION_ROUTED = "onedoor.application.routed"
APPLICATION_COMPLETED = "onedoor.application.completed"
NOTIFICATION_SENT = "onedoor.notification.sent"
APPLICATION_MATERIALS_REQUESTED = "onedoor.application.materials_requested"
APPLICATION_REFUSED = "onedoor.application.refused"
APPLICATION_HANDED_OVER = "onedoor.application.handed_over"
ITEMS_REFERRED = "onedoor.application.items_referred"
JOINT_MEETING_QUEUED = "onedoor.joint_meeting.queued"
HOUSEHOLD_STATUS_CONFIRMED = "onedoor.household.status_confirmed"
SUPERVISION_ESCALATED = "onedoor.supervision.escalated"
SUPERVISION_WARNED = "onedoor.supervision.warned"
# Per-department subjects end in the department code so that each department's durable
# consumer filters only its own tasks.
TASK_ASSIGNED = "onedoor.task.assigned.{department}"
TASK_ACCEPTED = "onedoor.task.accepted.{department}"
TASK_DECIDED = "onedoor.task.decided.{department}"
TASK_RETURNED = "onedoor.task.returned.{department}"
TASK_MATERIALS_REQUESTED = "onedoor.task.materials_requested.{department}"
TASK_MATERIALS_SUPPLEMENTED = "onedoor.task.materials_supplemented.{department}"
TASK_DEADLINE_EXTENDED = "onedoor.task.deadline_extended.{department}"
TASK_PAPERWORK_COMPLETED = "onedoor.task.paperwork_completed.{department}"


def for_department(template: str, department: str) -> str:
    """The concrete subject of a per-department template, e.g. for ``TASK_ASSIGNED``."""
    return template.format(department=department)


def all_departments(template: str) -> str:
    """The wildcard subject that matches a per-department template for every department."""
    return template.format(department="*")
