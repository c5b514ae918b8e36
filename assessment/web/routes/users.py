"""Administration: every user, and adding an existing user to an organisation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from sqlmodel import col, select
from starlette.responses import Response

from assessment import accounts, services
from assessment.models import Membership, Organisation, User
from assessment.services import ServiceError
from assessment.web.access import UserDep, UsersRead, UsersWrite
from assessment.web.deps import PathId, SessionDep, TranslatorDep
from assessment.web.pages import failed_form, see_other
from assessment.web.routes.members import _members_page

router = APIRouter()
Text = Annotated[str | None, Form()]


@router.get("/users")
def show_users(request: Request, session: SessionDep, t: TranslatorDep,
               _: UsersRead) -> Response:
    """Every user with their roles per organisation."""
    users = list(session.exec(select(User).order_by(col(User.name))))
    rows = session.exec(select(Membership, Organisation).join(Organisation))
    roles: dict[int, list[tuple[Organisation, str]]] = {}
    for membership, organisation in rows:
        roles.setdefault(membership.user_id, []).append((organisation, membership.role))
    return request.app.state.pages.page(request, t, "users.html",
                                        {"users": users, "roles": roles},
                                        fragment=["content"])


@router.get("/audit")
def show_site_audit_log(request: Request, session: SessionDep, t: TranslatorDep,
                        _: UsersRead) -> Response:
    """Every audit event, sign-ins included (they belong to no organisation)."""
    events = accounts.audit_log(session, None)
    return request.app.state.pages.page(request, t, "audit.html",
                                        {"organisation": None, "events": events},
                                        fragment=["content"])


@router.post("/organisations/{organisation_id}/members")
def add_existing_user(request: Request, session: SessionDep, t: TranslatorDep, _: UsersWrite,
                      user: UserDep, organisation_id: PathId, email: Text = None,
                      role: Text = None) -> Response:
    """Give an existing user (typically a consultant) a role in the organisation."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise HTTPException(status_code=404)
    try:
        member = session.exec(select(User).where(
            User.email == accounts.clean_email(email))).first()
        if member is None:
            raise services.InvalidInput(services.N_("There is no account with this email "
                                                    "address. Invite the person instead."),
                                        field="email")
        accounts.grant(session, member, organisation, accounts.parse_role(role), by=user)
    except ServiceError as exc:
        session.rollback()
        form = failed_form(t, exc, {"email": email, "role": role})
        return _members_page(request, session, t, organisation, form=form, status=exc.status)
    session.commit()
    return see_other(f"/organisations/{organisation.id}/members")
