"""Errors as RFC 9457 problem details (`application/problem+json`), never an HTML page."""

from __future__ import annotations

from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response

PROBLEM_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    """One field of the request that broke a rule."""

    model_config = ConfigDict(frozen=True)

    field: str
    message: str


class Problem(BaseModel):
    """An error (RFC 9457): its status, a short title and what went wrong."""

    model_config = ConfigDict(frozen=True)

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = None


class ApiError(Exception):
    """An error the API answers with a problem body."""

    def __init__(self, status: int, detail: str | None = None, *,
                 errors: list[FieldProblem] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


def problem_response(request: Request, status: int, detail: str | None = None, *,
                     errors: list[FieldProblem] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    """A problem+json response for the status."""
    body = Problem(title=HTTPStatus(status).phrase, status=status, detail=detail,
                   instance=request.url.path, errors=errors)
    extra = {"Cache-Control": "no-store", **(headers or {})}
    if status == 401:
        extra.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status,
                        media_type=PROBLEM_TYPE, headers=extra)


# What every operation may answer besides its success, documented in the OpenAPI document.
PROBLEM_CONTENT = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
COMMON_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "No valid API token (missing, expired, revoked)",
          "content": PROBLEM_CONTENT},
    403: {"description": "The token may not do this (another organisation, or read-only)",
          "content": PROBLEM_CONTENT},
    404: {"description": "No such resource", "content": PROBLEM_CONTENT},
    422: {"description": "A value broke a rule; the field is named",
          "content": PROBLEM_CONTENT},
    429: {"description": "Too many requests with this token; see Retry-After",
          "content": PROBLEM_CONTENT},
}


def _field(loc: tuple[int | str, ...] | list[int | str]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(parts[1:] if parts and parts[0] in ("body", "query", "path", "header")
                    else parts) or "request"


def install(api: FastAPI) -> None:
    """Answer every error of the API with a problem body."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return problem_response(request, exc.status, exc.detail, errors=exc.errors,
                                headers=exc.headers)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        detail = exc.detail if isinstance(exc, StarletteHTTPException) else None
        headers = dict(exc.headers or {}) if isinstance(exc, StarletteHTTPException) else {}
        shown = detail if isinstance(detail, str) and detail != HTTPStatus(status).phrase \
            else None
        if status == 400:  # a body that is not JSON at all: a value that breaks a rule too
            return problem_response(request, 422, shown, errors=[
                FieldProblem(field="body", message=shown or "The body is not valid JSON.")])
        return problem_response(request, status, shown, headers=headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        raw = exc.errors() if isinstance(exc, RequestValidationError) else []
        errors = [FieldProblem(field=_field(err.get("loc", ())), message=str(err.get("msg", "")))
                  for err in raw]
        return problem_response(request, 422, "Some of the values sent are not valid.",
                                errors=errors)

    async def server_error(request: Request, exc: Exception) -> Response:
        return problem_response(request, 500, "Something went wrong on the server.")

    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(StarletteHTTPException, http_error)
    api.add_exception_handler(RequestValidationError, validation_error)
    api.add_exception_handler(Exception, server_error)
