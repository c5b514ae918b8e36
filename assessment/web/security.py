"""Security middleware: response headers, the request body limit, and the CSRF cookie."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assessment.web.auth import CSRF_COOKIE, new_csrf_cookie

MAX_BODY_BYTES = 1024 * 1024
# Inline styles stay allowed because matplotlib's inline SVG charts carry style attributes;
# scripts come only from this site (htmx), never inline.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' "
                           "'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


class BodyTooLarge(Exception):
    """The request body is over the limit."""


ErrorPage = Callable[[Request, int], Any]


class SecurityMiddleware:
    """Adds security headers, refuses bodies over MAX_BODY_BYTES with 413, and gives every
    visitor a CSRF cookie (its value is in `request.state.csrf_cookie`)."""

    def __init__(self, app: ASGIApp, error_page: ErrorPage) -> None:
        self.app = app
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        existing = request.cookies.get(CSRF_COOKIE)
        cookie_value = existing or new_csrf_cookie()
        scope.setdefault("state", {})["csrf_cookie"] = cookie_value
        secure = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in HEADERS if n not in present]
                if existing is None:
                    headers.append((b"set-cookie", _cookie(cookie_value, secure)))
                message = {**message, "headers": headers}
            await send(message)

        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await self._too_large(request, scope, receive, send_with_headers)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await self.app(scope, _limited(receive), tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(request, scope, receive, send_with_headers)

    async def _too_large(self, request: Request, scope: Scope, receive: Receive,
                         send: Callable[[Message], Awaitable[None]]) -> None:
        response = self.error_page(request, 413)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)


def _limited(receive: Receive) -> Receive:
    total = 0

    async def limited_receive() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > MAX_BODY_BYTES:
                raise BodyTooLarge
        return message

    return limited_receive


def _cookie(value: str, secure: bool) -> bytes:
    cookie: SimpleCookie = SimpleCookie()
    cookie[CSRF_COOKIE] = value
    morsel = cookie[CSRF_COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    return morsel.OutputString().encode("latin-1")
