"""Rendering pages and their fragments from one template per page."""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from assessment.i18n import LANGUAGE_NAMES, LANGUAGES, Translator
from assessment.services import ServiceError
from assessment.web.htmx import wants_fragment


def see_other(url: str) -> RedirectResponse:
    """Redirect after a successful form post (303, so the browser follows with GET)."""
    return RedirectResponse(url, status_code=303)


def safe_next(target: str | None, fallback: str = "/") -> str:
    """A local path to redirect to; anything that could leave the site becomes `fallback`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


# The Jinja contexts made while one page renders (see `_ReleasedContext`).
_RENDERING: ContextVar[list[Context] | None] = ContextVar("rendering", default=None)


class _ReleasedContext(Context):
    """A Jinja context that is let go as soon as its page has rendered.

    A template's macros refer to the context they were made in, and the context to them: a
    reference cycle, which keeps everything the page was given (a large organisation's
    dashboard: thousands of objects) alive until Python's slowest, full garbage collection,
    and makes those collections frequent and long. Emptying the context after rendering
    breaks the cycle, so the page's data goes when the request does."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        made = _RENDERING.get()
        if made is not None:
            made.append(self)


def _attributions(request: Request) -> list[dict[str, str]]:
    """The footer's lines: the attribution of every framework offered, when it has one."""
    registry = getattr(request.app.state, "registry", None)
    frameworks = registry.current if registry is not None else []
    return [f.wording.attribution for f in frameworks if f.wording.attribution]


class Pages:
    """The template environment: autoescaped, strict about undefined names."""

    def __init__(self, directory: Path) -> None:
        # Templates ship with the app: read once per process, not checked on every render.
        env = Environment(loader=FileSystemLoader(directory), autoescape=True,
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                          auto_reload=False)
        env.context_class = _ReleasedContext
        self.templates = Jinja2Blocks(env=env)

    @property
    def env(self) -> Environment:
        """The Jinja environment (for tests that render every block)."""
        return self.templates.env

    def context(self, request: Request, t: Translator, values: dict[str, Any]) -> dict[str, Any]:
        """The values every template gets, plus the page's own."""
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        state = request.state
        csrf = self.csrf_token(request)
        return {"request": request, "_": t.gettext, "ngettext": t.ngettext, "i18n": t,
                "lang": t.language, "languages": [(c, LANGUAGE_NAMES[c]) for c in LANGUAGES],
                "current_path": path, "csrf_token": csrf,
                "user": getattr(state, "user", None), "viewer": getattr(state, "viewer", None),
                "attributions": _attributions(request), **values}

    @staticmethod
    def csrf_token(request: Request) -> str:
        """The CSRF token of the request's forms."""
        token: str = request.app.state.sessions.csrf_token(
            getattr(request.state, "csrf_cookie", "") or "")
        return token

    def render(self, request: Request, t: Translator, name: str, values: dict[str, Any], *,
               blocks: Sequence[str] = (), status: int = 200) -> Response:
        """Render the whole page, or only the named blocks."""
        context = self.context(request, t, values)
        headers = {"Vary": "HX-Request, Cookie, Accept-Language", "Content-Language": t.language}
        made: list[Context] = []
        token = _RENDERING.set(made)
        try:  # the response is rendered here, in full
            if blocks:
                return self.templates.TemplateResponse(
                    request, name, context, status_code=status, headers=headers,
                    block_names=list(blocks))
            return self.templates.TemplateResponse(request, name, context, status_code=status,
                                                   headers=headers)
        finally:
            _RENDERING.reset(token)
            for rendered in made:
                rendered.vars.clear()
                rendered.parent = {}
                rendered.blocks.clear()

    def page(self, request: Request, t: Translator, name: str, values: dict[str, Any], *,
             fragment: Sequence[str], status: int = 200) -> Response:
        """A full page, or for a plain htmx request only the `fragment` blocks."""
        blocks = fragment if wants_fragment(request) else ()
        return self.render(request, t, name, values, blocks=blocks, status=status)


def empty_form() -> dict[str, Any]:
    """A form with no values and no errors."""
    return {"values": {}, "errors": {}}


def failed_form(t: Translator, exc: ServiceError, values: dict[str, str | None]) -> dict[str, Any]:
    """A form re-shown with the user's values and the error under its field."""
    field = exc.field if exc.field in values else next(iter(values))
    return {"values": {k: v or "" for k, v in values.items()},
            "errors": {field: t.gettext(exc.message, **exc.params)}}
