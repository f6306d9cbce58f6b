"""Query parameters a route does not declare are refused (422), not silently ignored.

A misspelt filter (``?stauts=completed``) would otherwise answer with the whole list, which
looks like a result. What a route accepts is read from its own declaration (its parameters,
its dependencies' and query models' fields), so no list is kept by hand. (Dependencies given
to ``include_router`` are not seen: none here declares a query parameter.)
"""

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel


def declared_query_names(route: APIRoute) -> frozenset[str]:
    """The query parameter names ``route`` declares (by alias, as a client sends them)."""
    names: set[str] = set()
    pending, seen = [route.dependant], set()
    while pending:
        dependant = pending.pop()
        if id(dependant) in seen:
            continue
        seen.add(id(dependant))
        pending.extend(dependant.dependencies)
        for field in dependant.query_params:
            model = field.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):  # a query model
                names.update(f.alias or name for name, f in model.model_fields.items())
            else:
                names.add(field.alias)
    return frozenset(names)


async def reject_unknown_query(request: Request) -> None:
    """Dependency of every route: a query parameter the route does not declare is a 422
    naming it, in the common error body, with the ones it accepts."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    declared = declared_query_names(route)  # a few fields: cheaper than caching it
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in declared]
    if not unknown:
        return
    accepted = ", ".join(sorted(declared)) or "none"
    accepted_zh = "、".join(sorted(declared)) or "无"
    raise RequestValidationError([{
        "type": "query_unknown", "loc": ("query", name),
        "msg": f"unknown query parameter; this endpoint accepts: {accepted}",
        "ctx": {"zh": f"不支持的查询参数；本接口可用的查询参数：{accepted_zh}"},
    } for name in unknown])
