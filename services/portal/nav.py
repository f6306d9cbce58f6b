"""Which screens each role opens (data), for the navigation bar and the home after sign-in."""

from dataclasses import dataclass

from services.accounts.domain import Role


@dataclass(frozen=True)
class Link:
    path: str
    key: str  # its name in messages/*.toml
    roles: tuple[Role, ...]


LINKS = (
    Link("/ui/window", "nav.window", (Role.window, Role.supervisor)),
    Link("/ui/inbox", "nav.inbox", (Role.window,)),
    Link("/ui/department", "nav.department", (Role.department, Role.supervisor)),
    Link("/ui/supervisor", "nav.supervisor", (Role.supervisor,)),
    Link("/ui/ops", "nav.ops", (Role.ops, Role.admin)),
)
HOME = {Role.window: "/ui/window", Role.department: "/ui/department",
        Role.supervisor: "/ui/supervisor", Role.ops: "/ui/ops", Role.admin: "/ui/ops"}


def links(role: Role | None, here: str) -> list[dict[str, object]]:
    """The links ``role`` may open, the current one marked."""
    if role is None:
        return []
    return [{"path": link.path, "key": link.key, "current": here.startswith(link.path)}
            for link in LINKS if role in link.roles]


def home(role: Role) -> str:
    return HOME.get(role, "/ui/window")
