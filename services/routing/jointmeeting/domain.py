"""Who may resolve a joint-meeting case, and what a repeated resolution is: no I/O."""

from services.common.policy import Policy
from services.routing.models import JointMeetingCase

OPEN, RESOLVED = "open", "resolved"
ASSIGNED, REFERRED = "assigned", "referred"


def may_resolve(by: str, policy: Policy) -> bool:
    """The meeting's convener, or a supervisor (they chair it in the convener's absence)."""
    return by == policy.joint_meeting.convener or by in policy.supervision.supervisors


def is_repeat(case: JointMeetingCase, resolution: str, to: str, by: str) -> bool:
    """The same resolution asked again (a retried request): answered, not refused."""
    return (case.status == RESOLVED and case.resolution == resolution
            and case.resolved_to == to and case.resolved_by == by)
