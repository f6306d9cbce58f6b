"""One module per screen, each with a module-level ``router``; ``page_routers`` finds them
(a new screen is a new module here, its templates, and its messages/<screen>.toml)."""

import importlib
import pkgutil

from fastapi import APIRouter


def page_routers() -> list[APIRouter]:
    found = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        if isinstance(router := getattr(loaded, "router", None), APIRouter):
            found.append(router)
    return found
