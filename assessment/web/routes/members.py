"""An organisation's people: members and their roles, invitations, and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from starlette.responses import Response

from assessment import accounts, services
from assessment.i18n import Translator
from assessment.models import Membership, Organisation, Role, User, utcnow
from assessment.services import ServiceError
from assessment.web.access import AuditRead, MembersRead, MembersWrite, UserDep
from assessment.web.deps import PathId, SessionDep, TranslatorDep
from assessment.web.pages import empty_form, failed_form, see_other

router = APIRouter()
Text = Annotated[str | None, Form()]
UnitIds = Annotated[list[str], Form()]


def _ids(raw: list[str]) -> list[int]:
    # Anything that is not an id names no unit (-1): the service refuses it with a message.
    return [services.parse_id(v) or -1 for v in raw if v]


def _members_page(request: Request, session: SessionDep, t: Translator,
                  organisation: Organisation, *, form: dict[str, Any] | None = None,
                  link: str | None = None, status: int = 200) -> Response:
    values = {
        "organisation": organisation,
        "members": accounts.members(session, organisation),
        "invitations": accounts.pending_invitations(session, organisation),
        "tree": services.unit_tree(session, organisation),
        "roles": [Role.consultant, Role.leadership, Role.unit_lead] if
        request.state.viewer.is_admin else [Role.leadership, Role.unit_lead],
        "form": form or empty_form(), "link": link, "now": utcnow(),
    }
    return request.app.state.pages.page(request, t, "members.html", values,
                                        fragment=["content"], status=status)


@router.get("/organisations/{organisation_id}/members")
def show_members(request: Request, session: SessionDep, t: TranslatorDep,
                 organisation: MembersRead) -> Response:
    """Members with their roles, open invitations and the invitation form."""
    return _members_page(request, session, t, organisation)


@router.post("/organisations/{organisation_id}/invitations")
def create_invitation(request: Request, session: SessionDep, t: TranslatorDep,
                      organisation: MembersWrite, user: UserDep, email: Text = None,
                      name: Text = None, role: Text = None,
                      unit_ids: UnitIds = []) -> Response:  # noqa: B006 (FastAPI form default)
    """Invite a person; the one-time link is shown to copy."""
    try:
        _, token = accounts.invite(session, organisation, by=user, email=email, name=name,
                                   role=role, unit_ids=_ids(unit_ids))
    except ServiceError as exc:
        session.rollback()
        form = failed_form(t, exc, {"email": email, "name": name, "role": role,
                                    "unit_ids": None})
        form["values"]["unit_ids"] = unit_ids
        return _members_page(request, session, t, organisation, form=form, status=exc.status)
    session.commit()
    link = str(request.url_for("show_invitation", token=token))
    return _members_page(request, session, t, organisation, link=link)


def _membership(session: SessionDep, organisation: Organisation,
                membership_id: PathId) -> Membership:
    membership = session.get(Membership, membership_id)
    if membership is None or membership.organisation_id != organisation.id:
        raise HTTPException(status_code=404)
    return membership


@router.post("/organisations/{organisation_id}/members/{membership_id}/role")
def change_role(request: Request, session: SessionDep, t: TranslatorDep,
                organisation: MembersWrite, user: UserDep, membership_id: PathId,
                role: Text = None, unit_ids: UnitIds = []) -> Response:  # noqa: B006
    """Change a member's role (and, for unit leads, their units)."""
    membership = _membership(session, organisation, membership_id)
    member = session.get(User, membership.user_id)
    assert member is not None
    try:
        chosen = accounts.parse_role(role, allow_consultant=user.is_admin)
        accounts.grant(session, member, organisation, chosen, _ids(unit_ids), by=user)
    except ServiceError as exc:
        session.rollback()
        form = failed_form(t, exc, {"role": role})
        return _members_page(request, session, t, organisation, form=form, status=exc.status)
    session.commit()
    return see_other(f"/organisations/{organisation.id}/members")


@router.post("/organisations/{organisation_id}/members/{membership_id}/remove")
def remove_member(session: SessionDep, organisation: MembersWrite, user: UserDep,
                  membership_id: PathId) -> Response:
    """Remove a member from the organisation (their account stays)."""
    accounts.revoke(session, _membership(session, organisation, membership_id), by=user)
    session.commit()
    return see_other(f"/organisations/{organisation.id}/members")


@router.get("/organisations/{organisation_id}/audit")
def show_audit_log(request: Request, session: SessionDep, t: TranslatorDep,
                   organisation: AuditRead) -> Response:
    """The organisation's audit log, newest first."""
    events = accounts.audit_log(session, organisation.id)
    return request.app.state.pages.page(request, t, "audit.html",
                                        {"organisation": organisation, "events": events},
                                        fragment=["content"])

