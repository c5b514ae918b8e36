"""An organisation's API tokens: create one (its secret shown once), list and revoke them, and
see their latest uses."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from starlette.responses import Response

from assessment import tokens
from assessment.i18n import Translator
from assessment.models import ApiToken, Organisation, TokenScope, utcnow
from assessment.services import ServiceError
from assessment.web.access import ApiTokensRead, ApiTokensWrite, UserDep
from assessment.web.deps import PathId, SessionDep, TranslatorDep
from assessment.web.pages import failed_form, see_other

router = APIRouter()
Text = Annotated[str | None, Form()]


def _page(request: Request, session: SessionDep, t: Translator, organisation: Organisation, *,
          form: dict[str, Any] | None = None, secret: str | None = None,
          created: ApiToken | None = None, status: int = 200) -> Response:
    values = {
        "organisation": organisation, "tokens": tokens.tokens_of(session, organisation),
        "uses": tokens.recent_uses(session, organisation),
        "form": form or {"values": {"days": str(tokens.DEFAULT_DAYS), "scope": "read"},
                         "errors": {}},
        "secret": secret, "created": created, "scopes": list(TokenScope),
        "max_days": tokens.MAX_DAYS, "now": utcnow(),
        "api_base": str(request.base_url).rstrip("/") + "/api/v1",
    }
    return request.app.state.pages.page(request, t, "tokens.html", values,
                                        fragment=["content"], status=status)


@router.get("/organisations/{organisation_id}/api-tokens")
def show_tokens(request: Request, session: SessionDep, t: TranslatorDep,
                organisation: ApiTokensRead) -> Response:
    """The organisation's API tokens, the form for a new one and their latest uses."""
    return _page(request, session, t, organisation)


@router.post("/organisations/{organisation_id}/api-tokens")
def create_token(request: Request, session: SessionDep, t: TranslatorDep,
                 organisation: ApiTokensWrite, user: UserDep, name: Text = None,
                 scope: Text = None, days: Text = None) -> Response:
    """Create a token; its secret is shown on this response only."""
    try:
        token, secret = tokens.create_token(session, organisation, by=user, name=name,
                                            scope=scope, days=days)
    except ServiceError as exc:
        session.rollback()
        form = failed_form(t, exc, {"name": name, "scope": scope, "days": days})
        return _page(request, session, t, organisation, form=form, status=exc.status)
    session.commit()
    response = _page(request, session, t, organisation, secret=secret, created=token)
    return response


@router.post("/organisations/{organisation_id}/api-tokens/{token_id}/revoke")
def revoke_token(session: SessionDep, organisation: ApiTokensWrite, user: UserDep,
                 token_id: PathId) -> Response:
    """Revoke a token: it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None or token.organisation_id != organisation.id:
        raise HTTPException(status_code=404)
    try:
        tokens.revoke_token(session, token, by=user)
    except ServiceError:
        session.rollback()  # revoked already (another tab): the list shows it so
    else:
        session.commit()
    return see_other(f"/organisations/{organisation.id}/api-tokens")
