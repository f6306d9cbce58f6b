"""Separation of duties (002 §一、§二): acceptance (受理), preliminary review (初审) and
confirmation (审核确认) by three different people."""

from services.departments.domain import TaskRuleError, refuse_if_closed

SAME_PERSON_ZH = "受理、初审、审核确认不能为同一人"


def _same_person(role_en: str) -> TaskRuleError:
    return TaskRuleError("separation_of_duties",
                         f"acceptance, review and confirmation need three different people "
                         f"(already {role_en})", SAME_PERSON_ZH)


def can_review(status: str, *, required: bool, accepted_by: str | None,
               reviewed: tuple[str, str] | None, by: str, opinion: str) -> bool:
    """True if the review is a change; False if this person already gave this opinion (a retry).
    ``reviewed``: (who, opinion) of the review already made."""
    if not opinion.strip():
        raise TaskRuleError("opinion_required", "a review gives its opinion in writing",
                            "初审须书面提出意见", field="opinion")
    if not required:
        raise TaskRuleError("review_not_required", "this task's items need no preliminary review",
                            "该任务的事项无需初审，受理后可直接作出决定")
    if reviewed == (by, opinion):
        return False
    refuse_if_closed(status)
    if accepted_by is None:
        raise TaskRuleError("task_not_accepted", "accept the task before reviewing it",
                            "请先受理该任务，再进行初审")
    if reviewed is not None:
        raise TaskRuleError("task_already_reviewed", f"already reviewed by {reviewed[0]}",
                            f"该任务已由 {reviewed[0]} 初审")
    if by == accepted_by:
        raise _same_person("the acceptor")
    return True


def check_duties(*, accepted_by: str | None, reviewed_by: str | None, decided_by: str) -> None:
    """Raise unless the task was reviewed, and the one confirming neither accepted nor
    reviewed it."""
    if reviewed_by is None:
        raise TaskRuleError("review_required", "review the task before confirming a decision",
                            "请先完成初审，再审核确认")
    if decided_by == accepted_by:
        raise _same_person("the acceptor")
    if decided_by == reviewed_by:
        raise _same_person("the reviewer")
