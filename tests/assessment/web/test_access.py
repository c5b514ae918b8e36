"""Every route declares exactly one access rule, found from the app's own route table."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Mount


def rules(dependant: Dependant) -> list[tuple[str, str]]:
    found = []
    for dep in dependant.dependencies:
        rule = getattr(dep.call, "__access_rule__", None)
        if rule is not None:
            found.append(rule)
        found += rules(dep)
    return found


def api_routes(routes: list[BaseRoute]) -> list[APIRoute]:
    """The app's API routes, also those behind included routers (FastAPI keeps those lazily)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif (included := getattr(route, "original_router", None)) is not None:
            found += api_routes(included.routes)
    return found


def test_every_route_has_exactly_one_access_rule(app: FastAPI) -> None:
    routes = api_routes(app.routes)
    assert len(routes) >= 12
    for route in routes:
        found = rules(route.dependant)
        assert len(found) == 1, f"{route.methods} {route.path}: {found}"
        resource, action = found[0]
        unsafe = bool(route.methods & {"POST", "PUT", "PATCH", "DELETE"})
        if resource != "public":
            assert (action == "write") == unsafe, f"{route.methods} {route.path}: {action}"


def test_only_static_files_are_mounted(app: FastAPI) -> None:
    mounts = [r.path for r in app.routes if isinstance(r, Mount)]
    assert mounts == ["/static"]
