"""Substitution (同岗替代, 001): every post has an A and a B holder; when one is away, the
other takes the work, so that it never stops."""

from services.common.policy import Post


def holder_for(post: Post, away: set[str]) -> str:
    """Who new work of ``post`` goes to: A, or B while A is away. With both away it stays
    with A (nobody can take it over; supervision sees it waiting)."""
    if post.a in away and post.b not in away:
        return post.b
    return post.a


def other_holder(post: Post, holder: str) -> str:
    """The holder who takes over from ``holder``."""
    return post.b if holder == post.a else post.a


def is_holder(post: Post, holder: str) -> bool:
    return holder in (post.a, post.b)
