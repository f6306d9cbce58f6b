"""The department workbench's forms: each posts one action to the department's API as the
person (accept, review, decide, ask for materials, return, paperwork; a post's holder away or
back). Success: 303 back with a message; a refusal: the page again, the reasons by the fields."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from services.common.workdays import SHANGHAI
from services.portal.pages.department import (
    Bench,
    Code,
    Failed,
    TaskId,
    department_of,
    posts_page,
    service,
    task_page,
)
from services.portal.peers import PeerError
from services.portal.web import form_of, see_other

router = APIRouter(include_in_schema=False)
Action = Literal["accept", "review", "decision", "materials", "return", "paperwork"]
PostCode = Annotated[str, Path(min_length=1, max_length=50, pattern="^[A-Za-z0-9_-]+$")]
# The page's action → the API's path under /api/v1/tasks/{id}/.
API_PATH = {"accept": "accept", "review": "review", "decision": "decision",
            "materials": "materials-request", "return": "return", "paperwork": "paperwork"}


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def decision(form: FormData) -> dict[str, Any]:
    return {"outcome": text(form, "outcome"), "reason": text(form, "reason"),
            "amount": text(form, "amount") or None,
            "paperwork_pending": text(form, "paperwork_pending") == "on"}


def materials(form: FormData) -> dict[str, Any]:
    return {"materials": [m for m in form.getlist("materials") if isinstance(m, str)],
            "note": text(form, "note")}


def returned(form: FormData) -> dict[str, Any]:
    return {"reason": text(form, "reason"),
            "suggested_department": text(form, "suggested_department") or None}


# The fields each form shows (a refusal of any other is told above the form).
FIELDS = {"review": {"opinion"}, "decision": {"outcome", "reason", "amount", "paperwork_pending"},
          "materials": {"materials", "note"}, "return": {"reason", "suggested_department"},
          "away": {"holder", "reason", "until"}}
BODIES: dict[str, Callable[[FormData], dict[str, Any]]] = {
    "accept": lambda form: {}, "paperwork": lambda form: {},
    "review": lambda form: {"opinion": text(form, "opinion")},
    "decision": decision, "materials": materials, "return": returned,
}


def failure(action: str, exc: PeerError, lang: str, sent: dict[str, Any]) -> Failed:
    """The API's refusal for the form: ``materials.3`` (a code at its position) is shown by
    the materials field; a field the form does not have, in the message above it."""
    errors: dict[str, str] = {}
    message = exc.message(lang)
    for name, reason in exc.field_errors(lang).items():
        key = "materials" if name.isdigit() else name
        if key not in FIELDS.get(action, set()):
            message = f"{message} {name}: {reason}"
        else:
            errors[key] = f"{errors[key]}；{reason}" if key in errors else reason
    return Failed(action, message, errors, sent)


@router.post("/ui/department/{code}/tasks/{task_id}/{action}")
async def act(request: Request, person: Bench, code: Code, task_id: TaskId,
              action: Action) -> Response:
    """One action on a task through the department's API, as the person."""
    department_of(person, code)
    form = await form_of(request, person)
    body = BODIES[action](form)
    try:
        await person.call(service(code), "POST", f"/api/v1/tasks/{task_id}/{API_PATH[action]}",
                          json=body)
    except PeerError as exc:
        if exc.status not in (409, 422):
            raise
        return await task_page(request, person, code, task_id, status_code=exc.status,
                               failed=failure(action, exc, person.lang, body))
    return see_other(f"/ui/department/{code}/tasks/{task_id}?done={action}")


def until(value: str) -> str | None:
    """A planned return as the form gives it (``2026-03-05T09:00``, Beijing time) in ISO 8601
    with its offset; a text that is no time goes as it is, for the API to say why."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)).isoformat()


@router.post("/ui/department/{code}/posts/{post}/{change}")
async def post_holder(request: Request, person: Bench, code: Code, post: PostCode,
                      change: Literal["away", "back"]) -> Response:
    """A post's holder away (a supervisor approves it) or back (the holder or a supervisor)."""
    department_of(person, code)
    form = await form_of(request, person)
    body: dict[str, Any] = {"holder": text(form, "holder")}
    if change == "away":
        body |= {"reason": text(form, "reason"), "until": until(text(form, "until"))}
    try:
        await person.call(service(code), "POST", f"/api/v1/posts/{post}/{change}", json=body)
    except PeerError as exc:
        if exc.status not in (404, 409, 422):
            raise
        return await posts_page(request, person, code, status_code=exc.status, post=post,
                                failed=failure(change, exc, person.lang, body))
    return see_other(f"/ui/department/{code}/posts?done={change}")
