"""Every route says who may call it: a dependency marked with ``mark_access`` (the ones in
``services/accounts/http.py``: ``allow(*roles)``, ``own_department``, ``loopback_or``,
``public``) on the route or its router. ``undeclared_routes`` lists those that say nothing;
a test fails on any."""

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

F = TypeVar("F", bound=Callable[..., Any])
ACCESS = "onedoor_access"  # the attribute that marks a dependency as saying who may call
# Served to anyone: the documentation (its assets are a mount, not a route).
OPEN_PATHS = frozenset({"/docs", "/redoc"})


def mark_access(dependency: F, who: str) -> F:
    """Mark ``dependency`` as the declaration of who may call the routes depending on it."""
    setattr(dependency, ACCESS, who)
    return dependency


def route_access(route: RouteContext) -> list[str]:
    """What ``route`` declares about its callers (its own, its routers' dependencies')."""
    found, pending, seen = [], [route.dependant], set()
    while pending:
        dependant = pending.pop()
        if id(dependant) in seen:
            continue
        seen.add(id(dependant))
        if (who := getattr(dependant.call, ACCESS, None)) is not None:
            found.append(who)
        pending.extend(dependant.dependencies)
    return found


def api_routes(app: FastAPI) -> list[RouteContext]:
    """Every API route of ``app``, included routers' too (with their dependencies)."""
    return [r for r in iter_route_contexts(app.routes) if isinstance(r.original_route, APIRoute)]


def undeclared_routes(app: FastAPI) -> list[str]:
    """``METHOD path`` of every API route that declares nothing about who may call it."""
    return sorted(f"{'|'.join(sorted(r.methods or ()))} {r.path}" for r in api_routes(app)
                  if r.path not in OPEN_PATHS and not route_access(r))

