"""Sessions in a signed cookie, the current viewer, and CSRF tokens.

No session state lives in process memory: the cookie carries the user id and the user's
session version (bumped when the password changes), signed with the app's secret key, so any
number of app processes can serve the same users.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from fastapi import HTTPException, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, col, select
from starlette.responses import Response

from assessment.accounts import memberships_of
from assessment.models import Role, Unit, User
from assessment.policy import ANONYMOUS, Viewer

SESSION_COOKIE = "session"
CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class SignInRequired(Exception):
    """The request needs a signed-in user."""


class Sessions:
    """Issues and reads session cookies; signs CSRF tokens."""

    def __init__(self, secret: str, hours: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="session")
        self._csrf_key = hashlib.sha256(("csrf:" + secret).encode("utf-8")).digest()
        self.max_age = hours * 3600

    def value_for(self, user: User) -> str:
        """The signed session cookie value for a user."""
        return str(self._serializer.dumps({"u": user.id, "v": user.session_version}))

    def issue(self, request: Request, response: Response, user: User) -> None:
        """Sign the user in on this response."""
        value = self.value_for(user)
        response.set_cookie(SESSION_COOKIE, value, max_age=self.max_age, httponly=True,
                            samesite="lax", secure=request.url.scheme == "https", path="/")

    def clear(self, request: Request, response: Response) -> None:
        """Sign out on this response."""
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=request.url.scheme == "https")

    def read(self, request: Request) -> tuple[int, int] | None:
        """The (user id, session version) of a valid cookie; None when missing or tampered."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw:
            return None
        try:
            data: Any = self._serializer.loads(raw, max_age=self.max_age)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("u"), int) \
                or not isinstance(data.get("v"), int):
            return None
        return data["u"], data["v"]

    def csrf_token(self, cookie_value: str) -> str:
        """The form token that matches a CSRF cookie."""
        return hmac.new(self._csrf_key, cookie_value.encode("utf-8"), "sha256").hexdigest()

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
    user = session.get(User, found[0])
    if user is None or user.session_version != found[1]:
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
