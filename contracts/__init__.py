"""Wire contracts shared by every OneDoor service: envelopes, payloads, subjects, codes.

Wire-only by design: no database, no behaviour, never imports ``services``. Evolve by adding
optional fields; never change or remove one (old messages stay in the stream for months).
"""

from contracts.codes import CHANNEL_NAMES, DEPARTMENT_NAMES, ITEM_NAMES, Channel, Department, Item
from contracts.envelope import SCHEMA_VERSION, Envelope
from contracts.messages import (
    Applicant,
    ApplicationCompleted,
    ApplicationCompletedMessage,
    ApplicationRouted,
    ApplicationRoutedMessage,
    ApplicationSubmitted,
    ApplicationSubmittedMessage,
    Household,
    NotificationSent,
    NotificationSentMessage,
    OnBehalfOf,
    Outcome,
    PlannedTask,
    TaskAccepted,
    TaskAcceptedMessage,
    TaskAssigned,
    TaskAssignedMessage,
    TaskDecided,
    TaskDecidedMessage,
)

__all__ = [
    "CHANNEL_NAMES",
    "DEPARTMENT_NAMES",
    "ITEM_NAMES",
    "SCHEMA_VERSION",
    "Applicant",
    "ApplicationCompleted",
    "ApplicationCompletedMessage",
    "ApplicationRouted",
    "ApplicationRoutedMessage",
    "ApplicationSubmitted",
    "ApplicationSubmittedMessage",
    "Channel",
    "Department",
    "Envelope",
    "Household",
    "Item",
    "NotificationSent",
    "NotificationSentMessage",
    "OnBehalfOf",
    "Outcome",
    "PlannedTask",
    "TaskAccepted",
    "TaskAcceptedMessage",
    "TaskAssigned",
    "TaskAssignedMessage",
    "TaskDecided",
    "TaskDecidedMessage",
]
