"""What a repeated resolution of a joint-meeting case is: no I/O. (Who may resolve one — a
supervisor's account — is checked where requests come in.)"""

from services.routing.models import JointMeetingCase

OPEN, RESOLVED = "open", "resolved"
ASSIGNED, REFERRED = "assigned", "referred"


def is_repeat(case: JointMeetingCase, resolution: str, to: str, by: str) -> bool:
    """The same resolution asked again (a retried request): answered, not refused."""
    return (case.status == RESOLVED and case.resolution == resolution
            and case.resolved_to == to and case.resolved_by == by)
