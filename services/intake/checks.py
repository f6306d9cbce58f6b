"""What a department's decision must fit before the combined view records it: its own task's
items, or, for a grant without application (免申即享), the approval it follows. Pure checks
over the view's rows; ``Refused`` sets a message aside for the ops team, ``NotRoutedYet`` has it
tried again later."""


from contracts import TaskDecided
from services.common.deliveries import Refused
from services.common.policy import Policy
from services.intake.domain import ItemStatus
from services.intake.models import ApplicationItem


class NotRoutedYet(RuntimeError):
    """A decision for a task the combined view does not know yet (its routing is still on the
    way, on another consumer): tried again later; a task that never comes ends a dead letter."""


def own_task(event: TaskDecided, items: dict[str, ApplicationItem]) -> None:
    """A department decides its own task, on that task's items."""
    mine = [r for r in items.values() if r.task_id == event.task_id]
    if not mine:
        raise NotRoutedYet(f"task {event.task_id} of application {event.application_id} is not "
                           "in the combined view yet")
    if any(r.department != event.department for r in mine):
        raise Refused(f"task {event.task_id} is {mine[0].department}'s, but the decision comes "
                      f"from {event.department}")
    foreign = sorted(set(event.items) - {r.item for r in mine})
    if foreign:
        raise Refused(f"the decision of task {event.task_id} names items the task does not have: "
                      f"{', '.join(foreign)}")


def grant_basis(policy: Policy, event: TaskDecided, items: dict[str, ApplicationItem]) -> None:
    """A grant without application (免申即享) follows an approval of its status in this
    application: not yet decided → later; decided otherwise → refused."""
    basis = {str(code) for grant in policy.automatic_grants
             if grant.department == event.department and grant.grant in event.items
             for code in grant.when_approved}
    if not basis:
        raise Refused(f"{event.department} grants {', '.join(event.items)} without application "
                      "under no rule of this region's policy")
    statuses = [items[code] for code in basis if code in items]
    if any(r.outcome == "approved" for r in statuses):
        return
    if statuses and all(r.status == ItemStatus.decided for r in statuses):
        raise Refused(f"a grant without application of {', '.join(event.items)}, but "
                      f"{', '.join(sorted(r.item for r in statuses))} was not approved for "
                      f"application {event.application_id}")
    raise NotRoutedYet(f"a grant without application of {', '.join(event.items)} before the "
                       f"approval it follows ({', '.join(sorted(basis))}) is in the view")
