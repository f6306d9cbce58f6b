"""Who opens which screen (issue 10), page by page, as the API's matrix does for routes
(tests/integration/test_access_matrix.py): with no session every page but the public ones
answers with the sign-in page; a role the page is not for gets the refusal page; the roles it
is for never do (they may still get 404, 422 or 503 here: no real ids, other services not
running). A posted form needs the session's form token even for the right role."""

from pathlib import Path

from fastapi.routing import APIRoute, iter_route_contexts

from services.accounts.domain import Role
from services.common.settings import Settings
from services.intake.app import create_app as create_intake
from services.portal.web import is_page
from tests.support.apps import running
from tests.support.backends import Backend
from tests.support.nats import NatsServer
from tests.support.screens import add_person, browser, sign_in

OWN, OTHER = "education", "civil_affairs"  # a department page's code, another department
CALLERS = {"window": (Role.window, None), "own": (Role.department, OWN),
           "other": (Role.department, OTHER), "supervisor": (Role.supervisor, None),
           "ops": (Role.ops, None), "admin": (Role.admin, None)}
ANY = frozenset(CALLERS)
PUBLIC = "public"
DESK, BENCH = {"window", "supervisor"}, {"own", "supervisor"}
PAGES: dict[tuple[str, str], set[str] | frozenset[str] | str] = {
    ("GET", "/"): PUBLIC, ("GET", "/ui/"): PUBLIC, ("GET", "/ui/lang"): PUBLIC,
    ("GET", "/ui/login"): PUBLIC, ("POST", "/ui/login"): PUBLIC,
    ("GET", "/status"): PUBLIC, ("POST", "/status"): PUBLIC,
    ("POST", "/ui/logout"): ANY,
    ("GET", "/ui/window"): DESK, ("GET", "/ui/window/new"): {"window"},
    ("POST", "/ui/window/new"): {"window"},
    ("GET", "/ui/check/id-number"): {"window"}, ("GET", "/ui/check/phone"): {"window"},
    ("GET", "/ui/inbox"): {"window"},
    ("GET", "/ui/applications/{application_id}"): DESK,
    ("GET", "/ui/applications/{application_id}/events"): DESK,
    ("GET", "/ui/applications/{application_id}/receipt"): DESK,
    ("GET", "/ui/applications/{application_id}/receipt.pdf"): DESK,
    ("GET", "/ui/applications/{application_id}/notice"): DESK,
    ("GET", "/ui/applications/{application_id}/notice.pdf"): DESK,
    ("POST", "/ui/applications/{application_id}/materials"): {"window"},
    ("POST", "/ui/applications/{application_id}/handover"): {"window"},
    ("GET", "/ui/department"): {"own", "other", "supervisor"},
    ("GET", "/ui/department/{code}"): BENCH,
    ("GET", "/ui/department/{code}/tasks/{task_id}"): BENCH,
    ("GET", "/ui/department/{code}/posts"): BENCH,
    # supervisors may post, and the department API refuses them what they may not do
    ("POST", "/ui/department/{code}/tasks/{task_id}/{action}"): BENCH,
    ("POST", "/ui/department/{code}/posts/{post}/{change}"): BENCH,
    ("GET", "/ui/supervisor"): {"supervisor"}, ("GET", "/ui/supervisor/figures"): {"supervisor"},
    ("GET", "/ui/supervisor/meeting"): {"supervisor"},
    ("POST", "/ui/supervisor/extensions"): {"supervisor"},
    ("POST", "/ui/supervisor/meeting/{case_id}/assign"): {"supervisor"},
    ("POST", "/ui/supervisor/meeting/{case_id}/refer"): {"supervisor"},
    ("GET", "/ui/ops"): {"ops", "admin"}, ("GET", "/ui/ops/trace"): {"ops"},
    ("POST", "/ui/ops/dead-letters/{service}/{letter_id}/replay"): {"ops"},
}
FILL = {"code": OWN, "action": "accept", "change": "back", "service": "routing", "post": "a"}
REFUSED = ("无权打开此页", "只能")  # the refusal page's words (common.forbidden, a department's)


def _concrete(path: str) -> str:
    for name, value in FILL.items():
        path = path.replace("{" + name + "}", value)
    while "{" in path:
        start = path.index("{")
        path = path[:start] + "x1" + path[path.index("}", start) + 1:]
    return path


async def test_every_page_opens_for_its_roles_only(backend: Backend, tmp_path: Path,
                                                    nats_server: NatsServer) -> None:
    app = create_intake(Settings(nats_url=nats_server.url, **backend.settings_kwargs()))
    async with running(app):
        pages = {(m, r.path) for r in iter_route_contexts(app.routes)
                 if isinstance(r.original_route, APIRoute) and is_page(r.path)
                 for m in r.methods or ()}
        assert pages == set(PAGES), pages ^ set(PAGES)  # say who opens a new page here
        clients = {}
        for caller, (role, department) in CALLERS.items():
            await add_person(app, f"pages-{caller}", role, department)
            clients[caller] = browser(app)
            await sign_in(clients[caller], f"pages-{caller}")
        anonymous = browser(app)
        checked = 0
        for (method, path), allowed in sorted(PAGES.items()):
            url = _concrete(path)
            if allowed != PUBLIC:
                answer = await anonymous.request(method, url)
                assert answer.status_code == 303, (method, url, answer.status_code)
                assert answer.headers["location"].startswith("/ui/login"), (method, url)
            for caller, client in clients.items():
                answer = await client.request(method, url, data={} if method == "POST" else None)
                refused = answer.status_code == 403 and any(w in answer.text for w in REFUSED)
                if allowed == PUBLIC or caller in allowed:
                    assert not refused and answer.status_code != 401, (method, url, caller)
                    if method == "POST" and allowed != PUBLIC and path != "/ui/logout":
                        # the right role, but no form token: refused as an expired form
                        assert answer.status_code in (403, 422), (method, url, caller)
                else:
                    assert refused, (method, url, caller, answer.status_code)
                checked += 1
        assert checked > 200
        for client in [*clients.values(), anonymous]:
            await client.aclose()
