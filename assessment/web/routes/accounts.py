"""Signing in and out, changing the password, and accepting an invitation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from assessment import accounts
from assessment.i18n import Translator
from assessment.services import ServiceError
from assessment.web.access import AccountRead, AccountWrite, Public, PublicWrite, UserDep
from assessment.web.deps import SessionDep, TranslatorDep
from assessment.web.pages import empty_form, failed_form, safe_next, see_other
from assessment.web.security import client_address

router = APIRouter()
Text = Annotated[str | None, Form()]


def _sign_in_page(request: Request, t: Translator, *, next_url: str,
                  form: dict[str, Any] | None = None, status: int = 200) -> Response:
    values = {"form": form or empty_form(), "next_url": next_url}
    return request.app.state.pages.page(request, t, "sign_in.html", values,
                                        fragment=["content"], status=status)


@router.get("/sign-in")
def show_sign_in(request: Request, t: TranslatorDep, _: Public, next: str = "/") -> Response:
    """The sign-in form."""
    return _sign_in_page(request, t, next_url=safe_next(next))


@router.post("/sign-in")
def sign_in(request: Request, session: SessionDep, t: TranslatorDep, _: PublicWrite,
            email: Text = None, password: Text = None, next: Text = None) -> Response:
    """Check the email and password and start a session."""
    target = safe_next(next)
    address = client_address(request)
    try:
        attempt = accounts.start_sign_in(session, email=email, address=address)
        session.commit()  # counted before the (slow) password check: see start_sign_in
        user = accounts.finish_sign_in(session, attempt, email=email, password=password,
                                       address=address)
    except ServiceError as exc:
        session.commit()  # the failed attempt counts towards throttling
        form = failed_form(t, exc, {"email": email})
        return _sign_in_page(request, t, next_url=target, form=form,
                             status=429 if isinstance(exc, accounts.Throttled) else 400)
    response = see_other(target)
    request.app.state.sessions.issue(request, response, session, user)
    session.commit()
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, _: PublicWrite) -> Response:
    """End the session for good (other devices of the same user stay signed in)."""
    response = see_other("/sign-in")
    request.app.state.sessions.clear(request, response, session)
    session.commit()
    return response


def _account_page(request: Request, t: Translator, *, form: dict[str, Any] | None = None,
                  saved: bool = False, status: int = 200) -> Response:
    values = {"form": form or empty_form(), "saved": saved}
    return request.app.state.pages.page(request, t, "account.html", values,
                                        fragment=["content"], status=status)


@router.get("/account")
def show_account(request: Request, t: TranslatorDep, _: AccountRead) -> Response:
    """The user's account: name, email and the password form."""
    return _account_page(request, t, saved=request.query_params.get("saved") == "1")


@router.post("/account/password")
def change_password(request: Request, session: SessionDep, t: TranslatorDep, _: AccountWrite,
                    user: UserDep, current_password: Text = None,
                    new_password: Text = None) -> Response:
    """Change the password; this session stays signed in, other sessions end."""
    try:
        user = session.merge(user)
        accounts.change_password(session, user, current=current_password, new=new_password,
                                 address=client_address(request))
    except ServiceError as exc:
        session.rollback()
        form = failed_form(t, exc, {"current_password": None, "new_password": None})
        return _account_page(request, t, form=form, status=exc.status)
    accounts.end_other_sessions(session, user, keep=None)
    response = see_other("/account?saved=1")
    request.app.state.sessions.issue(request, response, session, user)
    session.commit()
    return response


def _invitation_page(request: Request, t: Translator, session: SessionDep, token: str, *,
                     form: dict[str, Any] | None = None, status: int = 200) -> Response:
    try:
        invitation = accounts.open_invitation(session, token)
        problem = None
    except ServiceError as exc:
        invitation, problem = None, t.gettext(exc.message)
        status = exc.status if status == 200 else status
    values = {"invitation": invitation, "problem": problem, "token": token,
              "form": form or empty_form()}
    return request.app.state.pages.page(request, t, "invitation.html", values,
                                        fragment=["content"], status=status)


@router.get("/invitations/{token}")
def show_invitation(request: Request, session: SessionDep, t: TranslatorDep, _: Public,
                    token: str) -> Response:
    """The invitation: who it is for, and the form to choose a password."""
    return _invitation_page(request, t, session, token)


@router.post("/invitations/{token}")
def accept_invitation(request: Request, session: SessionDep, t: TranslatorDep,
                      _: PublicWrite, token: str, password: Text = None) -> Response:
    """Create the account with the chosen password and sign in."""
    try:
        user = accounts.accept_invitation(session, token, password=password,
                                          address=client_address(request))
    except ServiceError as exc:
        session.rollback()
        form = failed_form(t, exc, {"password": None})
        return _invitation_page(request, t, session, token, form=form, status=exc.status)
    response = see_other("/")
    request.app.state.sessions.issue(request, response, session, user)
    session.commit()
    return response
