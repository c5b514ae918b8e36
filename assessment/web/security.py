"""Security middleware: response headers, the request body limit, trusted proxies, the
client's address and the CSRF cookie."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assessment.settings import IPNetwork
from assessment.web.auth import CSRF_COOKIE, SESSION_COOKIE, new_csrf_cookie

# Participant cookies are named "wp<workshop id>" (see assessment.web.access).
PARTICIPANT_COOKIE_PREFIX = "wp"

MAX_BODY_BYTES = 1024 * 1024
API_PREFIX = "/api/"
# Routes that take a file: their own, larger limit. A framework workbook is at most 5 MB and a
# logo 1 MB (the brand pages), each plus the form around it.
UPLOAD_LIMITS = {"/frameworks": 5 * 1024 * 1024 + 64 * 1024}
UPLOAD_BODY_BYTES = 2 * 1024 * 1024
_UPLOAD_PATHS = re.compile(r"^/(brand|organisations/\d+/brand)$")


def body_limit(path: str) -> int:
    """The largest request body the path takes."""
    if _UPLOAD_PATHS.match(path):
        return UPLOAD_BODY_BYTES
    return UPLOAD_LIMITS.get(path, MAX_BODY_BYTES)


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
    """Adds security headers (also to error pages, 500 included), `Cache-Control: no-store`
    for signed-in visitors, refuses bodies over MAX_BODY_BYTES with 413 (declared or
    chunked), believes X-Forwarded-For only from the trusted proxies, and gives every
    visitor a CSRF cookie (its value is in `request.state.csrf_cookie`)."""

    def __init__(self, app: ASGIApp, error_page: ErrorPage,
                 trusted_proxies: tuple[IPNetwork, ...] = ()) -> None:
        self.app = app
        self.error_page = error_page
        self.trusted_proxies = trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        _behind_proxy(scope, self.trusted_proxies)
        request = Request(scope)
        existing = request.cookies.get(CSRF_COOKIE)
        cookie_value = existing or new_csrf_cookie()
        scope.setdefault("state", {})["csrf_cookie"] = cookie_value
        secure = scope.get("scheme") == "https"
        # The JSON API reads no cookie and sets none; its answers are never cached.
        api = scope.get("path", "").startswith(API_PREFIX)
        private = api or _private(request)

        csrf = None if existing or api else csrf_cookie_header(cookie_value, secure)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _secured(list(message.get("headers", [])),
                                                          private=private, csrf=csrf)}
            await send(message)

        declared = request.headers.get("content-length")
        limit = body_limit(scope.get("path", ""))
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(request, scope, receive, send_with_headers)
            return
        await self._guarded(request, scope, receive, send_with_headers, limit)

    async def _guarded(self, request: Request, scope: Scope, receive: Receive,
                       send_with_headers: Callable[[Message], Awaitable[None]],
                       most: int) -> None:
        """Run the app; a body over the limit gets 413 and an unhandled error the 500 page
        (both with the headers) in place of anything the app said."""
        started = False
        limit = _Limit(receive, most)

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if limit.exceeded and not started:
                return  # the app's answer to a body it could not read: a 413 goes instead
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await self.app(scope, limit.receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
        except Exception:
            if not started:  # the 500 page, with the headers, before the error is logged
                await self._server_error(request, scope, receive, send_with_headers)
            raise
        if limit.exceeded and not started:
            await self._too_large(request, scope, receive, send_with_headers)

    async def _too_large(self, request: Request, scope: Scope, receive: Receive,
                         send: Callable[[Message], Awaitable[None]]) -> None:
        response = self.error_page(request, 413)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    async def _server_error(self, request: Request, scope: Scope, receive: Receive,
                            send: Callable[[Message], Awaitable[None]]) -> None:
        try:
            response = self.error_page(request, 500)
        except Exception:  # the error page itself failed (the database may be down)
            response = PlainTextResponse("Internal Server Error", status_code=500)
        await response(scope, receive, send)


def _secured(headers: list[tuple[bytes, bytes]], *, private: bool,
             csrf: bytes | None) -> list[tuple[bytes, bytes]]:
    """The response's headers with the security headers, no-store when private, and a new
    visitor's CSRF cookie (unless the response sets one itself, as signing in does)."""
    present = {name.lower() for name, _ in headers}
    headers += [(n, v) for n, v in HEADERS if n not in present]
    if private:  # a signed-in page must not stay in a shared or back-button cache
        headers = [(n, v) for n, v in headers if n.lower() != b"cache-control"]
        headers.append((b"cache-control", b"no-store"))
    sets_csrf = any(n.lower() == b"set-cookie" and v.startswith(CSRF_COOKIE.encode() + b"=")
                    for n, v in headers)
    if csrf is not None and not sets_csrf:
        headers.append((b"set-cookie", csrf))
    return headers


class _Limit:
    """The request body, refused once it grows over its limit (chunked bodies too)."""

    def __init__(self, receive: Receive, most: int = MAX_BODY_BYTES) -> None:
        self._receive = receive
        self.most = most
        self.total = 0
        self.exceeded = False

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            self.total += len(message.get("body", b""))
            if self.total > self.most:
                self.exceeded = True
                raise BodyTooLarge
        return message


def _private(request: Request) -> bool:
    """Whether the response may hold someone's own data: a signed-in user or a participant."""
    return not request.scope.get("path", "").startswith("/static/") and any(
        name == SESSION_COOKIE or name.startswith(PARTICIPANT_COOKIE_PREFIX)
        for name in request.cookies)


def _behind_proxy(scope: Scope, trusted: tuple[IPNetwork, ...]) -> None:
    """When the peer is a trusted proxy, the client is the nearest untrusted address in
    X-Forwarded-For (and the scheme X-Forwarded-Proto); from anyone else both are ignored."""
    peer = scope.get("client")
    if not trusted or not peer or not _trusted(peer[0], trusted):
        return
    headers = Headers(scope=scope)
    forwarded = [a.strip() for a in headers.get("x-forwarded-for", "").split(",") if a.strip()]
    client = peer[0]
    for address in reversed(forwarded):
        if not _is_address(address):
            break
        client = address
        if not _trusted(address, trusted):
            break
    scope["client"] = (client, 0)
    proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    if proto in ("http", "https"):
        scope["scheme"] = proto


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _trusted(address: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: Request) -> str:
    """The client's address: the peer, or behind a trusted proxy the address it forwarded
    (see `MATURITY_TRUSTED_PROXIES`). For throttling and the audit log."""
    return request.client.host if request.client else "unknown"


def csrf_cookie_header(value: str, secure: bool) -> bytes:
    """The Set-Cookie value of a CSRF cookie."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[CSRF_COOKIE] = value
    morsel = cookie[CSRF_COOKIE]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    return morsel.OutputString().encode("latin-1")
