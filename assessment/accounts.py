"""Accounts: users, passwords, throttled sign-in, invitations, memberships and the audit log.

Who may do what is decided in `assessment.policy`; this module only stores and checks facts.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, bindparam, insert, text, update
from sqlmodel import Session, col, delete, func, select

from assessment.models import (
    AuditEvent,
    Invitation,
    InvitationUnit,
    Membership,
    MembershipUnit,
    Organisation,
    Role,
    SignInAttempt,
    Unit,
    User,
    UserSession,
    id_of,
    utcnow,
)
from assessment.services import N_, Conflict, InvalidInput, ServiceError, clean_name

PASSWORD_MIN, PASSWORD_MAX = 10, 1024
THROTTLE_FAILURES = 10
THROTTLE_WINDOW = timedelta(minutes=15)
INVITATION_LIFETIME = timedelta(days=7)
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class SignInRefused(ServiceError):
    """Wrong email or password (the message never says which)."""

    status = 400


class Throttled(ServiceError):
    """Too many failed sign-ins for this account or address."""

    status = 429


def clean_email(value: str | None) -> str:
    """A trimmed, lower-case email address that looks like one."""
    email = (value or "").strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or any(c.isspace() for c in email):
        raise InvalidInput(N_("Enter an email address, like name@example.com."), field="email")
    return email


def check_new_password(password: str | None, *, field: str = "password") -> str:
    """A password long enough to be hard to guess."""
    value = password or ""
    if len(value) < PASSWORD_MIN:
        raise InvalidInput(N_("The password must have at least {min} characters."),
                           field=field, min=PASSWORD_MIN)
    if len(value) > PASSWORD_MAX:
        raise InvalidInput(N_("The password is too long."), field=field)
    return value


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, *, email: str | None, name: str | None,
                password: str | None, is_admin: bool = False) -> User:
    """Create a user with a password."""
    clean = clean_email(email)
    if session.exec(select(User).where(User.email == clean)).first() is not None:
        raise InvalidInput(N_("There is already an account with this email address."),
                           field="email")
    user = User(email=clean, name=clean_name(name), password_hash=hash_password(
        check_new_password(password)), is_admin=is_admin)
    session.add(user)
    session.flush()
    return user


def audit(session: Session, event: str, *, user: User | None = None,
          organisation_id: int | None = None, address: str = "", **detail: object) -> None:
    """Record a sensitive event."""
    session.add(AuditEvent(event=event, user_id=user.id if user else None,
                           organisation_id=organisation_id, address=address[:64],
                           detail=json.dumps(detail, ensure_ascii=False, sort_keys=True)))


_ATTEMPTS: Table = SignInAttempt.__table__  # type: ignore[attr-defined]
_EARLIER = _ATTEMPTS.alias("earlier")


def _failures_below_limit(column: str) -> Any:
    return select(func.count()).select_from(_EARLIER).where(
        _EARLIER.c[column] == bindparam(column), _EARLIER.c.succeeded.is_(False),
        _EARLIER.c.created_at >= bindparam("since")).scalar_subquery() < THROTTLE_FAILURES


# An attempt is recorded as failed before its password is checked, by one statement that
# records it only while the account and the address are below the limit: attempts sent at
# the same moment cannot all pass a count made before any of them was stored.
_CLAIM_ATTEMPT = insert(_ATTEMPTS).from_select(
    ["email", "address", "succeeded", "created_at"],
    select(*(bindparam(name, type_=_ATTEMPTS.c[name].type)
             for name in ("email", "address", "succeeded", "created_at"))).where(
        _failures_below_limit("email"), _failures_below_limit("address"))).returning(
    _ATTEMPTS.c.id)


def start_sign_in(session: Session, *, email: str | None, address: str,
                  now: datetime | None = None) -> int:
    """Record a sign-in attempt as failed until its password proves right; throttled after
    THROTTLE_FAILURES failures per account or address within THROTTLE_WINDOW. Commit it
    before checking the password (`finish_sign_in`), so that attempts at the same moment
    count each other. Returns the attempt's id."""
    now = now or utcnow()
    if session.get_bind().dialect.name == "postgresql":  # attempts take turns to be counted
        session.execute(text("LOCK TABLE sign_in_attempt IN SHARE ROW EXCLUSIVE MODE"))
    attempt = session.execute(_CLAIM_ATTEMPT, params={
        "email": (email or "").strip().lower()[:254], "address": address[:64],
        "succeeded": False, "created_at": now, "since": now - THROTTLE_WINDOW}).scalar()
    if attempt is None:
        raise Throttled(N_("Too many failed sign-in attempts. Wait 15 minutes and try again."))
    return int(attempt)


def finish_sign_in(session: Session, attempt_id: int, *, email: str | None,
                   password: str | None, address: str) -> User:
    """The user with this email and password; a right password marks the attempt
    succeeded, a wrong one leaves it failed."""
    key = (email or "").strip().lower()[:254]
    user = session.exec(select(User).where(User.email == key)).first()
    valid = _verify(user.password_hash if user else _DUMMY_HASH, password or "")
    if not valid or user is None:
        audit(session, "sign_in_failed", address=address, email=key)
        raise SignInRefused(N_("The email address or password is wrong."))
    attempt = session.get(SignInAttempt, attempt_id)
    assert attempt is not None  # recorded by start_sign_in
    attempt.succeeded = True
    session.add(attempt)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password or "")
    audit(session, "sign_in", user=user, address=address)
    return user


def authenticate(session: Session, *, email: str | None, password: str | None,
                 address: str, now: datetime | None = None) -> User:
    """The user with this email and password, recording the attempt in the session's
    transaction (the web app commits the attempt before checking the password)."""
    attempt = start_sign_in(session, email=email, address=address, now=now)
    return finish_sign_in(session, attempt, email=email, password=password, address=address)


def change_password(session: Session, user: User, *, current: str | None,
                    new: str | None, address: str = "") -> User:
    """Change the password; other sessions of the user end."""
    if not _verify(user.password_hash, current or ""):
        raise InvalidInput(N_("The current password is wrong."), field="current_password")
    user.password_hash = hash_password(check_new_password(new, field="new_password"))
    user.session_version += 1
    session.add(user)
    audit(session, "password_changed", user=user, address=address)
    session.flush()
    return user


# Memberships ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Member:
    """A member of an organisation with their role and led units."""

    user: User
    membership: Membership
    unit_ids: frozenset[int]


def members(session: Session, organisation: Organisation) -> list[Member]:
    """The organisation's members by name."""
    pairs = list(session.exec(select(Membership, User).join(User).where(
        Membership.organisation_id == organisation.id).order_by(col(User.name))))
    led = _led_units(session, [id_of(m) for m, _ in pairs])
    return [Member(user, membership, led.get(id_of(membership), frozenset()))
            for membership, user in pairs]


def _led_units(session: Session, membership_ids: list[int]) -> dict[int, frozenset[int]]:
    if not membership_ids:
        return {}
    found: dict[int, set[int]] = {}
    for row in session.exec(select(MembershipUnit).where(
            col(MembershipUnit.membership_id).in_(membership_ids))):
        found.setdefault(row.membership_id, set()).add(row.unit_id)
    return {k: frozenset(v) for k, v in found.items()}


def memberships_of(session: Session, user: User) -> list[tuple[Membership, frozenset[int]]]:
    """The user's memberships with the units they lead."""
    rows = list(session.exec(select(Membership).where(Membership.user_id == user.id)))
    led = _led_units(session, [id_of(m) for m in rows])
    return [(m, led.get(id_of(m), frozenset())) for m in rows]


def parse_role(value: Role | str | None, *, allow_consultant: bool = True) -> Role:
    """A role from a form value; consultants can only be named by administrators."""
    try:
        role = Role(value or "")
    except ValueError:
        raise InvalidInput(N_("Choose a role."), field="role") from None
    if role is Role.consultant and not allow_consultant:
        raise InvalidInput(N_("Choose a role."), field="role")
    return role


def _check_units(session: Session, organisation_id: int, role: Role,
                 unit_ids: Iterable[int]) -> list[int]:
    ids = sorted(set(unit_ids))
    if role is Role.unit_lead and not ids:
        raise InvalidInput(N_("Choose at least one unit for a unit lead."), field="unit_ids")
    if role is not Role.unit_lead:
        return []
    found = session.exec(select(Unit.id).where(col(Unit.id).in_(ids),
                                               Unit.organisation_id == organisation_id)).all()
    if len(found) != len(ids):
        raise InvalidInput(N_("Choose units of this organisation."), field="unit_ids")
    return ids


def grant(session: Session, user: User, organisation: Organisation, role: Role,
          unit_ids: Iterable[int] = (), *, by: User | None = None) -> Membership:
    """Give the user a role in the organisation (replacing any earlier role)."""
    org_id = id_of(organisation)
    ids = _check_units(session, org_id, role, unit_ids)
    membership = session.exec(select(Membership).where(
        Membership.user_id == user.id, Membership.organisation_id == org_id)).first()
    previous = membership.role if membership else None
    if membership is None:
        membership = Membership(user_id=id_of(user), organisation_id=org_id, role=role)
    membership.role = role
    session.add(membership)
    session.flush()
    for old in session.exec(select(MembershipUnit).where(
            MembershipUnit.membership_id == membership.id)):
        session.delete(old)
    session.flush()
    session.add_all(MembershipUnit(membership_id=id_of(membership), unit_id=u) for u in ids)
    audit(session, "role_changed", user=by, organisation_id=org_id, member=user.email,
          role=str(role), previous=str(previous) if previous else None, units=ids)
    session.flush()
    return membership


def revoke(session: Session, membership: Membership, *, by: User | None = None) -> None:
    """Remove a user's role in an organisation."""
    user = session.get(User, membership.user_id)
    for row in session.exec(select(MembershipUnit).where(
            MembershipUnit.membership_id == membership.id)):
        session.delete(row)
    session.delete(membership)
    audit(session, "role_removed", user=by, organisation_id=membership.organisation_id,
          member=user.email if user else None, role=str(membership.role))
    session.flush()


# Invitations ---------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# Sessions ----------------------------------------------------------------------------------

def start_session(session: Session, user: User, lifetime: timedelta, *,
                  now: datetime | None = None) -> str:
    """Store a new session of the user; returns its secret token (for the signed cookie).
    The user's expired sessions are cleared on the way."""
    now = now or utcnow()
    session.exec(delete(UserSession).where(col(UserSession.user_id) == id_of(user),
                                           col(UserSession.expires_at) < now))
    token = secrets.token_urlsafe(32)
    session.add(UserSession(id=_token_hash(token), user_id=id_of(user), created_at=now,
                            expires_at=now + lifetime))
    session.flush()
    return token


def session_alive(session: Session, user_id: int, token: str, *,
                  now: datetime | None = None) -> bool:
    """Whether the token names an unexpired session of the user."""
    row = session.get(UserSession, _token_hash(token))
    if row is None or row.user_id != user_id:
        return False
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    return expires > (now or utcnow())


def end_session(session: Session, token: str) -> None:
    """Sign one session out for good: its cookie, and any copy of it, stops working."""
    session.exec(delete(UserSession).where(col(UserSession.id) == _token_hash(token)))


def end_other_sessions(session: Session, user: User, keep: str | None) -> None:
    """End every session of the user but `keep` (after a password change)."""
    query = delete(UserSession).where(col(UserSession.user_id) == id_of(user))
    if keep is not None:
        query = query.where(col(UserSession.id) != _token_hash(keep))
    session.exec(query)


def invite(session: Session, organisation: Organisation, *, by: User, email: str | None,
           name: str | None, role: Role | str | None, unit_ids: Iterable[int] = (),
           now: datetime | None = None) -> tuple[Invitation, str]:
    """Create a one-time invitation; returns it and the secret token for the link."""
    clean = clean_email(email)
    chosen = parse_role(role, allow_consultant=by.is_admin)
    if session.exec(select(User).where(User.email == clean)).first() is not None:
        raise InvalidInput(N_("There is already an account with this email address."),
                           field="email")
    org_id = id_of(organisation)
    ids = _check_units(session, org_id, chosen, unit_ids)
    token = secrets.token_urlsafe(32)
    now = now or utcnow()
    invitation = Invitation(token_hash=_token_hash(token), organisation_id=org_id,
                            role=chosen, email=clean, name=clean_name(name),
                            invited_by=id_of(by), created_at=now,
                            expires_at=now + INVITATION_LIFETIME)
    session.add(invitation)
    session.flush()
    session.add_all(InvitationUnit(invitation_id=id_of(invitation), unit_id=u) for u in ids)
    audit(session, "invitation_created", user=by, organisation_id=org_id, email=clean,
          role=str(chosen), units=ids)
    session.flush()
    return invitation, token


def open_invitation(session: Session, token: str, *, now: datetime | None = None) -> Invitation:
    """The invitation for a token, if it is still usable."""
    invitation = session.exec(select(Invitation).where(
        Invitation.token_hash == _token_hash(token or ""))).first()
    if invitation is None:
        raise InvalidInput(N_("This invitation link is not valid."))
    if invitation.used_at is not None:
        raise Conflict(N_("This invitation has already been used. Sign in instead."))
    expires = invitation.expires_at
    current = now or utcnow()
    if expires.tzinfo is None:
        current = current.replace(tzinfo=None)
    if expires <= current:
        raise Conflict(N_("This invitation has expired. Ask for a new one."))
    return invitation


def accept_invitation(session: Session, token: str, *, password: str | None,
                      now: datetime | None = None, address: str = "") -> User:
    """Create the invited user with the chosen password and give them their role."""
    invitation = open_invitation(session, token, now=now)
    check_new_password(password)
    # Claimed by one conditional update, so that of accepts at the same moment exactly one
    # goes on (on PostgreSQL the others wait for it, then find the invitation used).
    claimed = session.execute(update(Invitation).where(
        col(Invitation.id) == invitation.id, col(Invitation.used_at).is_(None)).values(
        used_at=now or utcnow()).returning(col(Invitation.id))).scalar()
    if claimed is None:
        raise Conflict(N_("This invitation has already been used. Sign in instead."))
    user = create_user(session, email=invitation.email, name=invitation.name,
                       password=password)
    organisation = session.get(Organisation, invitation.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    unit_ids = session.exec(select(InvitationUnit.unit_id).where(
        InvitationUnit.invitation_id == invitation.id)).all()
    grant(session, user, organisation, Role(invitation.role), unit_ids, by=user)
    audit(session, "invitation_accepted", user=user, organisation_id=organisation.id,
          address=address)
    session.flush()
    return user


def pending_invitations(session: Session, organisation: Organisation) -> list[Invitation]:
    """Invitations not used yet, newest first (expired ones included, to show as expired)."""
    return list(session.exec(select(Invitation).where(
        Invitation.organisation_id == organisation.id, col(Invitation.used_at).is_(None))
        .order_by(col(Invitation.created_at).desc())))


def audit_log(session: Session, organisation_id: int | None,
              limit: int = 200) -> list[tuple[AuditEvent, User | None]]:
    """The newest audit events of an organisation (None: every event), with their users."""
    query = select(AuditEvent, User).join(User, isouter=True)
    if organisation_id is not None:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    return list(session.exec(query.order_by(col(AuditEvent.created_at).desc(),
                                            col(AuditEvent.id).desc()).limit(limit)))
