"""Error pages in the visitor's language: 404, 403, 405 and 413 never show a JSON body."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from assessment.services import N_
from assessment.web.access import JoinRequired
from assessment.web.auth import SignInRequired
from assessment.web.deps import translator_for
from assessment.web.htmx import wants_fragment
from assessment.web.pages import safe_next

MESSAGES = {
    400: (N_("Bad request"), N_("The request could not be understood.")),
    403: (N_("Not allowed"), N_("You do not have access to this page.")),
    429: (N_("Too many requests"), N_("Wait a moment and try again.")),
    404: (N_("Page not found"),
          N_("There is no such page. It may have been removed, or the address is mistyped.")),
    405: (N_("Not allowed"), N_("This page cannot be used that way.")),
    409: (N_("Conflict"), N_("The request conflicts with the current state.")),
    413: (N_("Too large"), N_("The request is too large.")),
    422: (N_("Invalid request"), N_("Some of the values sent are not valid.")),
}


CSRF_MESSAGE = (N_("The form has expired"),
                N_("The page was open too long or came from another site. Go back, reload the "
                   "page and try again."))


class PageError(StarletteHTTPException):
    """An error page with a specific, translatable message instead of the status's usual one."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(status_code=status_code)
        self.message = message


def error_page(request: Request, status: int, detail: str | None = None,
               message: str | None = None) -> Response:
    """The error page for a status code, in the visitor's language."""
    t = translator_for(request)
    title, text = MESSAGES.get(status, (N_("Something went wrong"), N_("Please try again.")))
    if status == 403 and detail == "csrf":
        title, text = CSRF_MESSAGE
    if status == 413 and request.url.path == "/frameworks":
        text = N_("A framework workbook or file is at most 5 MB. Nothing was published.")
    if message:
        text = message
    pages = request.app.state.pages
    return pages.page(request, t, "error.html",
                      {"status": status, "title": t.gettext(title), "text": t.gettext(text)},
                      fragment=["content"], status=status)


def install(app: FastAPI) -> None:
    """Register the handlers that turn errors into pages."""

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        detail = exc.detail if isinstance(exc, StarletteHTTPException) else None
        message = exc.message if isinstance(exc, PageError) else None
        return error_page(request, status, detail if isinstance(detail, str) else None, message)

    async def sign_in_required(request: Request, exc: Exception) -> Response:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = f"/sign-in?{urlencode({'next': safe_next(here)})}"
        if wants_fragment(request) or request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    async def validation_error(request: Request, exc: Exception) -> Response:
        # Path ids that are not numbers name nothing that exists: that is a 404.
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        in_path = any(err.get("loc", [None])[0] == "path" for err in errors)
        return error_page(request, 404 if in_path else 422)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(SignInRequired, sign_in_required)

    async def join_required(request: Request, exc: Exception) -> Response:
        code = exc.code if isinstance(exc, JoinRequired) else ""
        target = f"/join?{urlencode({'code': code})}"
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    app.add_exception_handler(JoinRequired, join_required)
    app.add_exception_handler(RequestValidationError, validation_error)
