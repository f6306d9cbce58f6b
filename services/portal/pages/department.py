"""The department workbench (部门工作台): a department's own tasks by time left, one task with
its history and the actions its status allows, its A/B posts. Everything comes from the
department's own API (peer ``dept-<code>``), called as the person: it decides who sees what."""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from contracts import Department, Item
from services.accounts.domain import Role
from services.common.amounts import task_cap
from services.common.policy import Policy, load_policy
from services.portal import format
from services.portal.web import PageRefused, Viewer, render, see_other, viewer

router = APIRouter(include_in_schema=False)
Bench = Annotated[Viewer, Depends(viewer(Role.department, Role.supervisor))]
Code = Annotated[str, Path(min_length=1, max_length=30)]
TaskId = Annotated[str, Path(min_length=1, max_length=64, pattern="^[A-Za-z0-9_-]+$")]
# A task's statuses as the department API gives them (the screens import no service's code).
STATUSES = ("assigned", "accepted", "awaiting_materials", "returned", "decided")
OPEN = {"assigned", "accepted", "awaiting_materials"}  # still to be handled there
FILTERS = ("open", "all", *STATUSES)
DONE = ("accept", "review", "decision", "materials", "return", "paperwork", "away", "back")
PAGE = 50


@dataclass
class Failed:
    """An action the API refused: which form, its message, each field's reason, what was sent."""

    action: str = ""
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)


def service(code: str) -> str:
    return f"dept-{code}"


def department_of(person: Viewer, code: str) -> str:
    """``code`` if the person may open it: their own department, any for a supervisor (the API
    refuses the others too; asking it first would only leave a refused call in its audit)."""
    if code not in {d.value for d in Department}:
        raise PageRefused(404, "bench.unknown_department")
    if person.actor.role == Role.department and person.actor.department != code:
        raise PageRefused(403, "bench.other_department")
    return code


def policy_of(request: Request) -> Policy:
    return load_policy(request.app.state.runtime.settings.region)


def time_left(due_at: str, now: datetime) -> tuple[bool, dict[str, int]]:
    """Overdue or not, and how long until (or since) ``due_at`` in days, hours, minutes."""
    delta = datetime.fromisoformat(due_at) - now
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    return delta.total_seconds() < 0, {"d": days, "h": rest // 3600, "m": rest % 3600 // 60}


def item_names(items: list[str], lang: str) -> list[str]:
    return format.item_names(items, lang)


def offered(task: dict[str, Any], person: Viewer) -> dict[str, str]:
    """The actions the task's status allows (its domain's state machine) → "" if this person
    may take it, else the key saying why not (separation of duties). Supervisors only read."""
    if person.actor.role != Role.department:
        return {}
    status, me = task["status"], person.actor.username
    accepted, reviewed, split = task["accepted_by"], task["reviewed_by"], task["separation_of_duties"]
    found: dict[str, str] = {}
    if status in OPEN and not accepted:
        found["accept"] = ""
    if split and status in OPEN and accepted and not reviewed:
        found["review"] = "bench.not_by_acceptor" if me == accepted else ""
    if status in OPEN and accepted and (reviewed or not split):
        found["decision"] = "bench.third_person" if split and me in (accepted, reviewed) else ""
    if status in ("assigned", "accepted"):
        found["materials"] = ""
    if status in OPEN:
        found["return"] = ""
    if status == "decided" and task["paperwork_due_at"] \
            and not task["paperwork_completed_by"]:
        found["paperwork"] = ""
    return found


def money(policy: Policy, task: dict[str, Any]) -> dict[str, Any]:
    """Whether an approval names an amount (an item that pays, or emergency aid), its cap."""
    items = task["items"]
    paying = any(policy.items[Item(i)].pays_money for i in items if i in policy.items)
    emergency = task.get("emergency_cap_yuan") is not None
    return {"pays": paying or emergency, "cap": task_cap(policy, items), "emergency": emergency}


def askable(policy: Policy, items: list[str]) -> list[dict[str, str]]:
    """Materials an officer may ask for: the task's items' own (never one the system verifies
    itself); all the region's if its items name none."""
    codes: list[str] = []
    for rule in (policy.items[Item(i)] for i in items if i in policy.items):
        codes += [*rule.materials.required, *rule.materials.optional]
        codes += rule.emergency.paperwork_materials if rule.emergency else []
    known = policy.materials
    chosen = [c for c in dict.fromkeys(codes) if c in known] or list(known)
    return [{"code": c, "name": known[c].name} for c in chosen if not known[c].verifiable]


@router.get("/ui/department", response_class=HTMLResponse)
async def workbench(request: Request, person: Bench) -> Response:
    """A department account's own workbench; a supervisor chooses a department to look at."""
    if person.actor.role == Role.department:
        if not person.actor.department:
            raise PageRefused(403, "common.forbidden")
        return see_other(f"/ui/department/{person.actor.department}")
    known = set(person.peers.departments())
    codes = [d.value for d in Department if d.value in known] or [d.value for d in Department]
    return render(request, "department/choose.html", person, codes=codes)


@router.get("/ui/department/{code}", response_class=HTMLResponse)
async def tasks(request: Request, person: Bench, code: Code,
                status: Annotated[str, Query(max_length=30)] = "open",
                mine: Annotated[bool, Query()] = False,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> HTMLResponse:
    """The department's tasks, the least time left first (overdue ones at the top, marked)."""
    department_of(person, code)
    status = status if status in FILTERS else "open"
    params: dict[str, Any] = {"offset": offset, "limit": PAGE,
                              "assignee": person.actor.username if mine else None}
    if status == "open":
        params["open"] = "true"
    elif status != "all":
        params["status"] = status
    page = await person.get(service(code), "/api/v1/tasks", **params)
    now = request.app.state.runtime.clock.now()
    rows = []
    for task in page["items"]:
        late, left = time_left(task["due_at"], now)
        rows.append({"task": task, "late": late and task["status"] in OPEN, "left": left,
                     "names": item_names(task["items"], person.lang)})
    return render(request, "department/tasks.html", person, code=code, page=page, rows=rows,
                  status=status, mine=mine, filters=FILTERS, size=PAGE)


async def task_page(request: Request, person: Viewer, code: str, task_id: str, *,
                    status_code: int = 200, failed: Failed | None = None,
                    done: str = "") -> HTMLResponse:
    """One task: what the API shows this person of it, its history, the actions it allows."""
    base = f"/api/v1/tasks/{task_id}"
    task, history = await asyncio.gather(person.get(service(code), base),
                                         person.get(service(code), f"{base}/history"))
    policy = policy_of(request)
    late, left = time_left(task["due_at"], request.app.state.runtime.clock.now())
    return render(request, "department/task.html", person, status_code=status_code, code=code,
                  task=task, history=history, names=item_names(task["items"], person.lang),
                  late=late and task["status"] in OPEN, left=left, actions=offered(task, person),
                  money=money(policy, task), askable=askable(policy, task["items"]),
                  material_names={c: m.name for c, m in policy.materials.items()},
                  others=[d.value for d in Department if d.value != code],
                  failed=failed or Failed(), done=done if done in DONE else "")


@router.get("/ui/department/{code}/tasks/{task_id}", response_class=HTMLResponse)
async def task(request: Request, person: Bench, code: Code, task_id: TaskId,
               done: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    """A task of the department, its history, and forms for what may be done with it now."""
    department_of(person, code)
    return await task_page(request, person, code, task_id, done=done)


async def posts_page(request: Request, person: Viewer, code: str, *, status_code: int = 200,
                     failed: Failed | None = None, post: str = "", done: str = "") -> HTMLResponse:
    """The department's posts: A and B holders, who is away, who takes new tasks now."""
    posts = await person.get(service(code), "/api/v1/posts")
    for one in posts:
        one["item_names"] = item_names(one["items"], person.lang)
    return render(request, "department/posts.html", person, status_code=status_code, code=code,
                  posts=posts, supervisor=person.actor.role == Role.supervisor,
                  failed=failed or Failed(), failed_post=post,
                  done=done if done in DONE else "")


@router.get("/ui/department/{code}/posts", response_class=HTMLResponse)
async def posts(request: Request, person: Bench, code: Code,
                done: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    """The A/B posts (同岗替代) of the department, with absences as the role may record them."""
    department_of(person, code)
    return await posts_page(request, person, code, done=done)
