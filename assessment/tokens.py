"""API tokens: created and revoked by consultants and administrators, scoped to one
organisation, read or read-write, with an expiry; every use recorded and throttled.

A token is `smw_` and 43 characters of `secrets.token_urlsafe(32)`: 256 random bits. Only a
SHA-256 of it is stored. A slow password hash (argon2) protects secrets people choose, which
can be guessed from a short list; a 256-bit random secret cannot be guessed, so one fast hash
already makes a stolen table worthless, and lets every API request find its token by an
indexed lookup of the hash instead of checking each token's slow hash in turn.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import cast

from sqlalchemy import Table, bindparam, insert
from sqlmodel import Session, col, func, select

from assessment.accounts import audit
from assessment.models import (
    ApiToken,
    ApiTokenUse,
    Membership,
    Organisation,
    Role,
    TokenScope,
    User,
    id_of,
    utcnow,
)
from assessment.policy import Viewer
from assessment.services import N_, Conflict, InvalidInput

TOKEN_PREFIX = "smw_"
NAME_MAX = 120
DEFAULT_DAYS = 90
MAX_DAYS = 365
THROTTLE_WINDOW = timedelta(minutes=1)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands datetimes back without their zone; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class TokenState(StrEnum):
    """Where a token stands."""

    active = "active"
    expired = "expired"
    revoked = "revoked"


def state(token: ApiToken, now: datetime | None = None) -> TokenState:
    """Whether the token works now."""
    if token.revoked_at is not None:
        return TokenState.revoked
    if _aware(token.expires_at) <= (now or utcnow()):
        return TokenState.expired
    return TokenState.active


def create_token(session: Session, organisation: Organisation, *, by: User, name: str | None,
                 scope: str | None, days: str | int | None,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """Store a new token; returns it with its secret, which is never stored or shown again."""
    label = " ".join((name or "").split())
    if not label:
        raise InvalidInput(N_("Name the token after the system that will use it."), field="name")
    if len(label) > NAME_MAX:
        raise InvalidInput(N_("The name is too long: at most {max} characters."), field="name",
                           max=NAME_MAX)
    try:
        chosen = TokenScope(scope or "")
    except ValueError:
        raise InvalidInput(N_("Choose what the token may do."), field="scope") from None
    try:
        lifetime = int(str(days).strip()) if days is not None and str(days).strip() else 0
    except ValueError:
        lifetime = 0
    if not 1 <= lifetime <= MAX_DAYS:
        raise InvalidInput(N_("Choose a validity of 1–{max} days."), field="days", max=MAX_DAYS)
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(organisation_id=id_of(organisation), name=label,
                     prefix=secret[:len(TOKEN_PREFIX) + 6], token_hash=_hash(secret),
                     scope=chosen, created_by=id_of(by), created_at=now,
                     expires_at=now + timedelta(days=lifetime))
    session.add(token)
    session.flush()
    audit(session, "api_token_created", user=by, organisation_id=id_of(organisation),
          token=token.prefix, name=label, scope=str(chosen), expires=token.expires_at.isoformat())
    return token, secret


def revoke_token(session: Session, token: ApiToken, *, by: User) -> None:
    """Stop the token working at once."""
    if token.revoked_at is not None:
        raise Conflict(N_("The token has already been revoked."))
    token.revoked_at, token.revoked_by = utcnow(), id_of(by)
    session.add(token)
    audit(session, "api_token_revoked", user=by, organisation_id=token.organisation_id,
          token=token.prefix, name=token.name)
    session.flush()


@dataclass(frozen=True)
class TokenRow:
    """A token as the management page lists it: who made it, its state and its last use."""

    token: ApiToken
    creator: str
    state: TokenState
    last_used_at: datetime | None
    uses_today: int


def tokens_of(session: Session, organisation: Organisation,
              now: datetime | None = None) -> list[TokenRow]:
    """The organisation's tokens, newest first, with their last use and uses in 24 hours."""
    now = now or utcnow()
    rows = list(session.exec(select(ApiToken, User).join(
        User, col(User.id) == col(ApiToken.created_by)).where(
        ApiToken.organisation_id == organisation.id).order_by(
        col(ApiToken.created_at).desc(), col(ApiToken.id).desc())))
    ids = [id_of(token) for token, _ in rows]
    last = dict(cast(list[tuple[int, datetime]], session.exec(
        select(ApiTokenUse.token_id, func.max(ApiTokenUse.created_at)).where(
            col(ApiTokenUse.token_id).in_(ids)).group_by(col(ApiTokenUse.token_id))).all()))
    today = dict(cast(list[tuple[int, int]], session.exec(
        select(ApiTokenUse.token_id, func.count()).where(
            col(ApiTokenUse.token_id).in_(ids),
            col(ApiTokenUse.created_at) >= now - timedelta(days=1)).group_by(
            col(ApiTokenUse.token_id))).all()))
    return [TokenRow(token, user.name, state(token, now),
                     _aware(last[id_of(token)]) if id_of(token) in last else None,
                     today.get(id_of(token), 0)) for token, user in rows]


def recent_uses(session: Session, organisation: Organisation,
                limit: int = 50) -> list[tuple[ApiTokenUse, ApiToken]]:
    """The newest uses of the organisation's tokens."""
    return list(session.exec(select(ApiTokenUse, ApiToken).join(ApiToken).where(
        ApiToken.organisation_id == organisation.id).order_by(
        col(ApiTokenUse.created_at).desc(), col(ApiTokenUse.id).desc()).limit(limit)))


class TokenRefused(Exception):
    """The request's token does not let it in: why, as a short English sentence."""

    def __init__(self, reason: str, *, status: int = 401) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def authenticate(session: Session, secret: str | None,
                 now: datetime | None = None) -> ApiToken:
    """The active token the secret names, while its creator may still hand out its rights
    (an administrator, or a consultant of its organisation); else TokenRefused."""
    if not secret:
        raise TokenRefused("Send an API token: Authorization: Bearer <token>.")
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise TokenRefused("The API token is not valid.")
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash(secret))).first()
    if token is None:
        raise TokenRefused("The API token is not valid.")
    found = state(token, now)
    if found is TokenState.revoked:
        raise TokenRefused("The API token has been revoked.")
    if found is TokenState.expired:
        raise TokenRefused("The API token has expired.")
    creator = session.get(User, token.created_by)
    consultant = session.exec(select(Membership.id).where(
        Membership.user_id == token.created_by, Membership.organisation_id == token.organisation_id,
        Membership.role == Role.consultant)).first()
    if creator is None or not (creator.is_admin or consultant is not None):
        raise TokenRefused("The person who created the API token no longer has access.")
    return token


def viewer_of(token: ApiToken) -> Viewer:
    """Who a token acts as, for the access rules: in its organisation only, a reader (as
    leadership reads) or, read-write, a consultant; never an administrator."""
    role = Role.consultant if token.scope == TokenScope.read_write else Role.leadership
    return Viewer(user_id=token.created_by, roles={token.organisation_id: role})


_USES: Table = ApiTokenUse.__table__  # type: ignore[attr-defined]
_EARLIER = _USES.alias("earlier")
# A use is recorded only while the token is below its limit in the window, in one statement,
# so requests sent at the same moment count each other.
_CLAIM_USE = insert(_USES).from_select(
    ["token_id", "method", "path", "address", "created_at"],
    select(*(bindparam(name, type_=_USES.c[name].type)
             for name in ("token_id", "method", "path", "address", "created_at"))).where(
        select(func.count()).select_from(_EARLIER).where(
            _EARLIER.c.token_id == bindparam("token_id"),
            _EARLIER.c.created_at >= bindparam("since")).scalar_subquery()
        < bindparam("limit"))).returning(_USES.c.id)


def record_use(session: Session, token: ApiToken, *, method: str, path: str, address: str,
               limit: int, now: datetime | None = None) -> bool:
    """Record a request made with the token; False (nothing recorded) when the token has made
    `limit` requests in the last minute already."""
    now = now or utcnow()
    claimed = session.execute(_CLAIM_USE, params={
        "token_id": id_of(token), "method": method[:8], "path": path[:300],
        "address": address[:64], "created_at": now, "since": now - THROTTLE_WINDOW,
        "limit": limit}).first()
    return claimed is not None
