"""The window's intake form (窗口受理登记): the applicant, the items their situation calls for
and the materials they brought, registered through intake's API as the person; the identity
number and the phone are checked while typed by the very validators the API runs."""

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from contracts import Channel
from services.accounts.domain import Role
from services.common.errors import field_errors
from services.intake.schemas import ApplicantIn
from services.portal.catalogue import Catalogue, load_catalogue
from services.portal.peers import PeerError
from services.portal.web import Viewer, form_of, render, see_other, viewer

router = APIRouter(include_in_schema=False)
Desk = Annotated[Viewer, Depends(viewer(Role.window))]
Value = Annotated[str, Query(max_length=100)]

MEMBER_ROWS = 6  # more than most households list; the size field counts everyone
MEMBER_FIELDS = ("name", "relation", "school")
APPLICANT_FIELDS = ("name", "id_number", "phone", "address", "village")
TEXT_FIELDS = (*APPLICANT_FIELDS, "size", "residence", "income", "description", "channel",
               "on_behalf_name", "on_behalf_role")
TEXT_LIMIT = 4000  # the API refuses anything longer than its own limits anyway
_KEY = re.compile(r"[0-9a-f]{32}")
# Valid stand-ins for the applicant's other fields, so one field is checked exactly as the
# API checks it (same model, same reasons) while the rest of the form is still empty.
_STAND_IN = {"name": "王秀英", "id_number": "341321199904120020", "phone": "13912345678"}


@router.get("/ui/window/new", response_class=HTMLResponse)
async def new_application(request: Request, person: Desk) -> HTMLResponse:
    """The empty intake form, with the region's items and materials."""
    return _form(request, person, await load_catalogue(person), _blank())


@router.post("/ui/window/new", response_class=HTMLResponse)
async def register(request: Request, person: Desk) -> Response:
    """Registers the application through intake's API: then its receipt, or the form again."""
    values = _values(await form_of(request, person))
    try:
        created = await person.call(
            "intake", "POST", "/api/v1/applications", json=body_of(values),
            headers={"Idempotency-Key": values["key"]})
    except PeerError as exc:
        if exc.status not in (409, 422):
            raise
        summary = exc.message(person.lang)
        if exc.status == 409:  # sent again after going back and changing it: a new one
            values["key"], summary = uuid.uuid4().hex, person.t("intake_form.already_registered")
        return _form(request, person, await load_catalogue(person), values, status_code=422,
                     errors=errors_of(exc, person.lang), summary=summary)
    return see_other(f"/ui/applications/{created['id']}/receipt")


@router.get("/ui/check/id-number")
async def check_id_number(person: Desk, value: Value = "") -> JSONResponse:
    """Whether ``value`` is a resident identity number, as the API would answer."""
    return JSONResponse(check_field("id_number", value, person.lang))


@router.get("/ui/check/phone")
async def check_phone(person: Desk, value: Value = "") -> JSONResponse:
    """Whether ``value`` is a phone number in China, as the API would answer."""
    return JSONResponse(check_field("phone", value, person.lang))


def check_field(name: str, value: str, lang: str) -> dict[str, Any]:
    """``{"ok", "reason"}`` for one applicant field, by the API's own model and wording."""
    try:
        ApplicantIn.model_validate({**_STAND_IN, name: value})
    except ValidationError as exc:
        for found in field_errors(list(exc.errors())):
            if found["field"] == name:
                reason = found["reason_zh"] if lang == "zh" else found["reason"]
                return {"ok": False, "reason": reason}
    return {"ok": True, "reason": ""}


def _blank() -> dict[str, Any]:
    return {**dict.fromkeys(TEXT_FIELDS, ""), "channel": Channel.window.value, "items": [],
            "materials": [], "members": [_member() for _ in range(MEMBER_ROWS)],
            "key": uuid.uuid4().hex}


def _member(name: str = "", relation: str = "", school: str = "",
            student: bool = False) -> dict[str, Any]:
    return {"name": name, "relation": relation, "school": school, "student": student}


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip()[:TEXT_LIMIT] if isinstance(value, str) else ""


def _values(form: FormData) -> dict[str, Any]:
    """What was typed and ticked, as the form shows it again."""
    values: dict[str, Any] = {key: _text(form, key) for key in TEXT_FIELDS}
    values["items"] = [v for v in form.getlist("items") if isinstance(v, str)][:50]
    values["materials"] = [v for v in form.getlist("materials") if isinstance(v, str)][:50]
    values["members"] = [
        _member(**{f: _text(form, f"member-{n}-{f}") for f in MEMBER_FIELDS},
                student=bool(form.get(f"member-{n}-student")))
        for n in range(MEMBER_ROWS)]
    key = _text(form, "key")
    values["key"] = key if _KEY.fullmatch(key) else uuid.uuid4().hex
    return values


def body_of(values: dict[str, Any]) -> dict[str, Any]:
    """The JSON of POST /api/v1/applications; numbers go as typed, for the API to judge."""
    members = [m for m in values["members"] if any(m.values())]
    body: dict[str, Any] = {
        "channel": values["channel"],
        "applicant": {f: values[f] for f in APPLICANT_FIELDS},
        "household": {"size": values["size"], "residence": values["residence"],
                      "monthly_income_per_capita": values["income"], "members": members},
        "items": values["items"], "materials": values["materials"],
        "description": values["description"],
    }
    if values["on_behalf_name"] or values["on_behalf_role"]:
        body["on_behalf_of"] = {"name": values["on_behalf_name"],
                                "role": values["on_behalf_role"]}
    return body


def form_field(path: str) -> str:
    """The form's field for an API field path (``household.members.0.name`` → member-0-name)."""
    parts = path.split(".")
    if parts[0] == "applicant" and len(parts) > 1:
        return parts[1]
    if parts[0] == "household" and len(parts) > 1:
        if parts[1] == "members" and len(parts) > 3:
            return f"member-{parts[2]}-{parts[3]}"
        return "income" if parts[1] == "monthly_income_per_capita" else parts[1]
    if parts[0] == "on_behalf_of":
        return f"on_behalf_{parts[1] if len(parts) > 1 else 'name'}"
    return parts[0]


def errors_of(exc: PeerError, lang: str) -> dict[str, str]:
    """Each refused form field → the API's reason in ``lang`` (the first, if several).
    Keyed by the whole path: applicant, members and proxy all have a ``name``."""
    found: dict[str, str] = {}
    for item in exc.error.get("fields") or []:
        reason = item.get("reason_zh" if lang == "zh" else "reason") or item.get("reason", "")
        found.setdefault(form_field(str(item.get("field", ""))), reason)
    return found


def _form(request: Request, person: Viewer, catalogue: Catalogue, values: dict[str, Any],
          status_code: int = 200, errors: dict[str, str] | None = None,
          summary: str = "") -> HTMLResponse:
    t = person.t
    return render(request, "window/new.html", person, status_code=status_code, values=values,
                  errors=errors or {}, summary=summary, catalogue=catalogue,
                  missing=catalogue.missing(values["items"], values["materials"]),
                  page_data=catalogue.page_data(t), channels=[c.value for c in Channel])
