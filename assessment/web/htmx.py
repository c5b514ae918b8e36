"""The one place that decides whether a request gets a fragment or a full page."""

from __future__ import annotations

from starlette.requests import Request


def wants_fragment(request: Request) -> bool:
    """An htmx request that is neither boosted nor a history restore gets a fragment."""
    headers = request.headers
    return (headers.get("HX-Request") == "true"
            and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")
