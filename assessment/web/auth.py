"""Sessions in a signed cookie backed by a database row, the current viewer, and CSRF tokens.

No session state lives in process memory: the cookie carries the user id, the user's session
version (bumped when the password changes) and the secret token of a `UserSession` row,
signed with the app's secret key, so any number of app processes can serve the same users.
Signing out deletes the row, so a copy of the cookie taken before stops working too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, col, select
from starlette.responses import Response

from assessment import accounts
from assessment.accounts import memberships_of
from assessment.models import Role, Unit, User
from assessment.policy import ANONYMOUS, Viewer

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class CookieSession:
    """What a valid session cookie says: whose session, at which version, and its token."""

    user_id: int
    version: int
    token: str


class SignInRequired(Exception):
    """The request needs a signed-in user."""


CSRF_TOKENS_KEPT = 20_000


class Sessions:
    """Issues and reads session cookies; signs CSRF tokens."""

    def __init__(self, secret: str, hours: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="session")
        self._csrf_key = hashlib.sha256(("csrf:" + secret).encode("utf-8")).digest()
        self.max_age = hours * 3600
        self._csrf_tokens: dict[str, str] = {}

    def value_for(self, session: Session, user: User) -> str:
        """Store a new session of the user and return its signed cookie value."""
        token = accounts.start_session(session, user, timedelta(seconds=self.max_age))
        return str(self._serializer.dumps({"u": user.id, "v": user.session_version,
                                           "s": token}))

    def issue(self, request: Request, response: Response, session: Session, user: User) -> None:
        """Sign the user in on this response (a new session, and a new CSRF cookie, so a
        token planted before the sign-in is worth nothing after it); commit afterwards."""
        value = self.value_for(session, user)
        secure = request.url.scheme == "https"
        response.set_cookie(SESSION_COOKIE, value, max_age=self.max_age, httponly=True,
                            samesite="lax", secure=secure, path="/")
        response.set_cookie(CSRF_COOKIE, new_csrf_cookie(), httponly=True, samesite="lax",
                            secure=secure, path="/")

    def clear(self, request: Request, response: Response, session: Session) -> None:
        """Sign out on this response: the session's row goes, so every copy of its cookie
        stops working; commit afterwards."""
        found = self.read(request)
        if found is not None:
            accounts.end_session(session, found.token)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=request.url.scheme == "https")

    def read(self, request: Request) -> CookieSession | None:
        """The session a valid cookie names; None when missing, expired or tampered."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int) \
                or not isinstance(data.get("v"), int) or not isinstance(data.get("s"), str):
            return None
        return CookieSession(data["u"], data["v"], data["s"])

    def csrf_token(self, cookie_value: str) -> str:
        """The form token that matches a CSRF cookie (each request checks one and puts one
        in its forms: the newest few thousand are remembered)."""
        token = self._csrf_tokens.get(cookie_value)
        if token is None:
            token = hmac.new(self._csrf_key, cookie_value.encode("utf-8"), "sha256").hexdigest()
            if len(self._csrf_tokens) >= CSRF_TOKENS_KEPT:
                self._csrf_tokens.clear()  # a flood of new visitors: start again
            self._csrf_tokens[cookie_value] = token
        return token

    def csrf_valid(self, cookie_value: str | None, token: str | None) -> bool:
        """Whether a submitted token matches the request's CSRF cookie."""
        if not cookie_value or not token:
            return False
        return hmac.compare_digest(self.csrf_token(cookie_value), token)


def new_csrf_cookie() -> str:
    """A fresh random CSRF cookie value."""
    return secrets.token_urlsafe(32)


def _descendants(units: list[Unit], roots: frozenset[int]) -> frozenset[int]:
    children: dict[int | None, list[int]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit.id or 0)
    found, stack = set(roots), list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def load_viewer(session: Session, sessions: Sessions, request: Request) -> tuple[Viewer,
                                                                                 User | None]:
    """The viewer behind the request's session cookie (anonymous when none is valid)."""
    found = sessions.read(request)
    if found is None:
        return ANONYMOUS, None
    user = session.get(User, found.user_id)
    if user is None or user.session_version != found.version \
            or not accounts.session_alive(session, found.user_id, found.token):
        return ANONYMOUS, None
    memberships = memberships_of(session, user)
    roles = {m.organisation_id: Role(m.role) for m, _ in memberships}
    led = {m.organisation_id: ids for m, ids in memberships if m.role == Role.unit_lead}
    units: dict[int, frozenset[int]] = {}
    if led:
        rows = list(session.exec(select(Unit).where(col(Unit.organisation_id).in_(list(led)))))
        for org_id, roots in led.items():
            units[org_id] = _descendants([u for u in rows if u.organisation_id == org_id], roots)
    return Viewer(user_id=user.id, is_admin=user.is_admin, roles=roles, units=units), user


def require_csrf(request: Request, sessions: Sessions, form_token: str | None) -> None:
    """Refuse an unsafe request whose CSRF token (header or form field) does not match."""
    if request.method not in UNSAFE_METHODS:
        return
    token = request.headers.get(CSRF_HEADER) or form_token
    if not sessions.csrf_valid(request.cookies.get(CSRF_COOKIE), token):
        raise HTTPException(status_code=403, detail="csrf")
