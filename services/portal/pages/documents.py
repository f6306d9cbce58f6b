"""The window's printed documents for the applicant, from intake's combined view: the receipt
(受理回执) and the one-time notice of every missing material (一次性告知书), each as a
printable page and as PDF."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from services.accounts.domain import Role
from services.portal.catalogue import Catalogue, load_catalogue
from services.portal.document import Document
from services.portal.format import when
from services.portal.i18n import Translator
from services.portal.peers import PeerError
from services.portal.web import PageRefused, Viewer, render, viewer

router = APIRouter(include_in_schema=False)
Reader = Annotated[Viewer, Depends(viewer(Role.window, Role.supervisor))]
Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]


@router.get("/ui/applications/{application_id}/receipt", response_class=HTMLResponse)
async def receipt(request: Request, person: Reader, application_id: Id) -> HTMLResponse:
    """The printable receipt (受理回执), with the way to the notice if materials are missing."""
    app = await _read(person, application_id)
    doc = await receipt_of(person, app, _status_url(request))
    return render(request, "window/receipt.html", person, doc=doc, app=app,
                  pdf_url=f"/ui/applications/{app['id']}/receipt.pdf")


@router.get("/ui/applications/{application_id}/receipt.pdf")
async def receipt_pdf(request: Request, person: Reader, application_id: Id) -> Response:
    """The receipt as PDF."""
    app = await _read(person, application_id)
    return await _pdf(await receipt_of(person, app, _status_url(request)), app["receipt_no"])


@router.get("/ui/applications/{application_id}/notice", response_class=HTMLResponse)
async def notice(request: Request, person: Reader, application_id: Id) -> HTMLResponse:
    """The printable one-time notice (一次性告知书) of every missing material."""
    app = await _read(person, application_id)
    return render(request, "window/notice.html", person, doc=notice_of(person.t, app), app=app,
                  pdf_url=f"/ui/applications/{app['id']}/notice.pdf")


@router.get("/ui/applications/{application_id}/notice.pdf")
async def notice_pdf(person: Reader, application_id: Id) -> Response:
    """The one-time notice as PDF."""
    app = await _read(person, application_id)
    return await _pdf(notice_of(person.t, app), f"{app['receipt_no']}-notice")


async def _read(person: Viewer, application_id: str) -> dict[str, Any]:
    return await person.get("intake", f"/api/v1/applications/{application_id}")


def _status_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/status"


def _where(t: Translator, app: dict[str, Any]) -> str:
    township = app.get("township")
    return t("document.window_of", township=township) if township else t("document.window")


async def _dues(person: Viewer, app: dict[str, Any], catalogue: Catalogue) -> dict[str, str]:
    """Each item's due time: the API's once routed; counted from acceptance by the region's
    own rule (``/api/v1/deadlines``) until then; none while materials are missing."""
    dues: dict[str, str] = {}
    handled = {code for code, entry in catalogue.items.items() if entry.department}
    for item in app["items"]:
        code = item["item"]
        if item["due_at"]:
            dues[code] = when(item["due_at"])
        elif app["accepted_at"] and item["status"] != "refused" and code in handled:
            try:
                found = await person.get("intake", "/api/v1/deadlines", item=code,
                                         received_at=app["accepted_at"])
            except PeerError:
                continue  # the receipt is still worth printing without this one due time
            dues[code] = when(found["due_at"])
        elif app["status"] == "awaiting_materials" and item["status"] != "refused":
            dues[code] = person.t("document.due_after_materials")
    return dues


def _handled_by(t: Translator, item: dict[str, Any]) -> str:
    decision = item.get("decision") or {}
    if item["status"] == "refused":
        reason = "；".join(x for x in (decision.get("reason"), item.get("go_to")) if x)
        return t("document.not_handled", reason=reason)
    if item["department"]:
        return t.pick(item["department_name"], t(f"department.{item['department']}"))
    return item.get("go_to") or t("document.unassigned")


async def receipt_of(person: Viewer, app: dict[str, Any], status_url: str) -> Document:
    """What the receipt says: who, when, where, each item with its department and limits,
    the materials received and missing, and where to follow it."""
    t, catalogue = person.t, await load_catalogue(person)
    dues = await _dues(person, app, catalogue)
    items = catalogue.items
    rows = [[t("document.item"), t("document.department"), t("document.limit"), t("document.due")]]
    rows += [[i["item_name"], _handled_by(t, i),
              items[i["item"]].limit_text if i["item"] in items else "", dues.get(i["item"], "")]
             for i in app["items"]]
    lists = [(t("document.materials"),
              [catalogue.material_name(c) for c in app["materials"]] or [t("common.none")])]
    if app["missing_materials"]:
        lists.append((t("document.missing"), _missing_lines(t, app)))
    return Document(
        title=t("document.receipt"), number_label=t("document.receipt_no"),
        number=app["receipt_no"], facts=[
            (t("document.applicant"), app["applicant_name"]),
            (t("document.channel"), t(f"channel.{app['channel']}")),
            (t("document.received_at"), when(app["received_at"])),
            (t("document.received_by"), app["owner"] or app["received_by"]),
            (t("document.where"), _where(t, app)),
            (t("document.status"), t(f"document.status_{app['status']}"))],
        table=rows, widths=[0.28, 0.34, 0.16, 0.22], lists=lists,
        paragraphs=[t("document.progress", receipt_no=app["receipt_no"], url=status_url),
                    t("document.counting")],
        signatures=[t("document.signed_window"), t("document.signed_applicant")])


def _missing_lines(t: Translator, app: dict[str, Any]) -> list[str]:
    names = {i["item"]: i["item_name"] for i in app["items"]}
    return [t("document.missing_line", name=m["name"],
              items="、".join(names.get(c, c) for c in m["items"]))
            for m in app["missing_materials"]]


def notice_of(t: Translator, app: dict[str, Any]) -> Document:
    """What the one-time notice says: every missing material at once, the items needing
    it, and where to bring them."""
    if not app["missing_materials"]:
        raise PageRefused(404, "document.nothing_missing")
    return Document(
        title=t("document.notice"), number_label=t("document.receipt_no"),
        number=app["receipt_no"], facts=[
            (t("document.applicant"), app["applicant_name"]),
            (t("document.received_at"), when(app["received_at"])),
            (t("document.where"), _where(t, app)),
            (t("document.received_by"), app["owner"] or app["received_by"])],
        intro=t("document.notice_lead", name=app["applicant_name"],
                date=when(app["received_at"], with_time=False), receipt_no=app["receipt_no"]),
        lists=[(t("document.missing"), _missing_lines(t, app))],
        paragraphs=[t("document.bring_to", where=_where(t, app),
                      owner=app["owner"] or app["received_by"]), t("document.no_repeat")],
        signatures=[t("document.signed_window"), t("document.signed_applicant")])


async def _pdf(doc: Document, name: str) -> Response:
    from services.portal import pdf  # reportlab, at the first PDF: not in every start of intake

    body = await run_in_threadpool(pdf.render, doc)  # a few tens of milliseconds of CPU
    # The services' strict policy applies (default-src 'none'): the browser's PDF viewer
    # shows it as it is.
    return Response(body, media_type="application/pdf",
                    headers={"content-disposition": f'inline; filename="{name}.pdf"'})
