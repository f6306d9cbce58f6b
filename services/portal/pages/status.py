"""The applicant's progress check (办理进度查询), no account: the receipt number and the last
four characters of the identity number, posted (never in a URL), to intake's public status API
(its rate limit per client address applies, and its one not-found answer)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from services.accounts.http import public
from services.common.ratelimit import client_address
from services.portal import i18n
from services.portal.peers import PeerError
from services.portal.web import lang_of, peers_of, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])
Field = Annotated[str, Form(max_length=100)]
# Badge colours; the status is always said in words too.
TONES = {"approved": "ok", "rejected": "bad", "refused": "bad", "awaiting_materials": "warn",
         "completed": "ok", "partially_approved": "warn"}


@router.get("/status", response_class=HTMLResponse)
async def ask(request: Request) -> HTMLResponse:
    """The form: receipt number and the last four characters of the identity number."""
    return _form(request)


@router.post("/status", response_class=HTMLResponse)
async def answer(request: Request, receipt_no: Field = "", id_last4: Field = "") -> HTMLResponse:
    """Where the application stands, or the form again with why not (404, 422, 429)."""
    t = i18n.Translator(lang_of(request))
    try:
        found = await peers_of(request).call(
            "intake", "POST", "/api/v1/status", token=None, client_host=client_address(request),
            json={"receipt_no": receipt_no, "id_last4": id_last4})
    except PeerError as exc:
        if exc.status == 404:
            return _form(request, 404, receipt_no, error=t("status.not_found"))
        if exc.status == 422:
            return _form(request, 422, receipt_no, error=t("status.fix_fields"),
                         fields=exc.field_errors(t.lang))
        if exc.status == 429:
            return _form(request, 429, receipt_no, error=t("status.too_many") + " "
                         + exc.message(t.lang))
        return _form(request, 503, receipt_no, error=exc.message(t.lang))
    return render(request, "status/result.html", found=found, tones=TONES)


def _form(request: Request, status_code: int = 200, receipt_no: str = "", error: str = "",
          fields: dict[str, Any] | None = None) -> HTMLResponse:
    return render(request, "status/form.html", status_code=status_code, receipt_no=receipt_no,
                  error=error, fields=fields or {})
