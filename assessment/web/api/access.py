"""The API's access rules: a bearer token, then the same rule table as the web pages.

Every API route depends on exactly one loader made here (the route-table test checks it, as
it does for the web routes). A loader first needs a valid token (`current_caller`: 401 when it
is missing, unknown, expired or revoked; 429 over its limit), then fetches the path's row (404
when missing) and asks `assessment.policy` with the token's viewer (`tokens.viewer_of`): a row
of another organisation is 403, as is a write with a read-only token. Cookies are never read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, SQLModel

from assessment import tokens
from assessment.models import Action as PlannedAction
from assessment.models import ApiToken, Organisation, Round, Workshop
from assessment.policy import Action, Decision, Viewer, decide
from assessment.services import MAX_ID
from assessment.web.access import _tag
from assessment.web.api.problems import ApiError
from assessment.web.deps import SessionDep
from assessment.web.security import client_address

# A row id in an API path: a 64-bit positive integer, else 422. Ids the tables cannot hold
# (above MAX_ID) name nothing: 404 without a query.
MAX_API_ID = 2**63 - 1
ApiId = Annotated[int, Path(ge=1, le=MAX_API_ID)]


@dataclass(frozen=True)
class Caller:
    """The token a request came with, and who it acts as."""

    token: ApiToken
    viewer: Viewer

    @property
    def organisation_id(self) -> int:
        """The one organisation the token reads."""
        return self.token.organisation_id


BEARER = HTTPBearer(auto_error=False, scheme_name="token",
                    description="An API token from the organisation's API tokens page")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def current_caller(request: Request, session: SessionDep, credentials: Credentials) -> Caller:
    """The request's token, checked, throttled and its use recorded (once per request)."""
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    try:
        token = tokens.authenticate(session, credentials.credentials if credentials else None)
    except tokens.TokenRefused as exc:
        raise ApiError(exc.status, exc.reason) from None
    limit: int = request.app.state.settings.api_requests_per_minute
    if not tokens.record_use(session, token, method=request.method, path=request.url.path,
                             address=client_address(request), limit=limit):
        session.rollback()
        raise ApiError(429, f"This token may make {limit} requests a minute.",
                       headers={"Retry-After": "60"})
    session.commit()
    session.expunge(token)
    caller = Caller(token, tokens.viewer_of(token))
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


def check(caller: Caller, kind: str, action: Action, organisation_id: int,
          unit_id: int | None = None) -> None:
    """Raise unless the token may do `action` on the resource."""
    decision = decide(caller.viewer, kind, action, organisation_id, unit_id)
    if decision is Decision.allow:
        return
    if decision is Decision.not_found:
        raise ApiError(403, "The API token is for another organisation.")
    if decision is Decision.forbidden:
        raise ApiError(403, "The API token may only read." if action is Action.write
                       else "The API token may not read this.")
    raise ApiError(401, "Send an API token: Authorization: Bearer <token>.")


M = TypeVar("M", bound=SQLModel)


def get_or_404(session: Session, model: type[M], ident: int) -> M:
    """The row, or 404 (also for ids no table can hold)."""
    row = session.get(model, ident) if ident <= MAX_ID else None
    if row is None:
        raise ApiError(404, f"There is no {model.__name__.lower()} with id {ident}.")
    return row


def public_access() -> Callable[..., None]:
    """The rule of the API's own description (the OpenAPI document and its docs page)."""

    def open_to_all() -> None:
        return None

    return _tag(open_to_all, "public", Action.read)


def token_organisation_access(kind: str, action: Action) -> Callable[..., Caller]:
    """The rule for routes that name no resource: the token's own organisation's `kind`."""

    def load(caller: CallerDep) -> Caller:
        check(caller, kind, action, caller.organisation_id)
        return caller

    return _tag(load, kind, action)


@dataclass(frozen=True)
class OrgCall:
    """A path's organisation and the caller."""

    organisation: Organisation
    caller: Caller


def organisation_access(kind: str, action: Action = Action.read) -> Callable[..., OrgCall]:
    """Load the path's organisation; the token may `action` its `kind` of data."""

    def load(caller: CallerDep, organisation_id: ApiId, session: SessionDep) -> OrgCall:
        organisation = get_or_404(session, Organisation, organisation_id)
        check(caller, kind, action, organisation_id)
        return OrgCall(organisation, caller)

    return _tag(load, kind, action)


@dataclass(frozen=True)
class RoundCall:
    """A path's round, its organisation and the caller."""

    round: Round
    organisation: Organisation
    caller: Caller


def round_access(kind: str, action: Action = Action.read) -> Callable[..., RoundCall]:
    """Load the path's round; the token may `action` its organisation's `kind` of data."""

    def load(caller: CallerDep, round_id: ApiId, session: SessionDep) -> RoundCall:
        round_ = get_or_404(session, Round, round_id)
        check(caller, kind, action, round_.organisation_id)
        organisation = session.get(Organisation, round_.organisation_id)
        assert organisation is not None  # guaranteed by the foreign key
        return RoundCall(round_, organisation, caller)

    return _tag(load, kind, action)


def action_access(action: Action) -> Callable[..., PlannedAction]:
    """Load the path's action; the token may `action` its unit's plan."""

    def load(caller: CallerDep, action_id: ApiId, session: SessionDep) -> PlannedAction:
        planned = get_or_404(session, PlannedAction, action_id)
        check(caller, "plan", action, planned.organisation_id, planned.unit_id)
        return planned

    return _tag(load, "plan", action)


def workshop_access(action: Action) -> Callable[..., Workshop]:
    """Load the path's workshop; the token may `action` the organisation's workshops."""

    def load(caller: CallerDep, workshop_id: ApiId, session: SessionDep) -> Workshop:
        workshop = get_or_404(session, Workshop, workshop_id)
        check(caller, "workshop", action, workshop.organisation_id)
        return workshop

    return _tag(load, "workshop", action)


PublicDoc = Annotated[None, Depends(public_access())]
OwnOrganisation = Annotated[Caller, Depends(token_organisation_access("organisation",
                                                                      Action.read))]
OrganisationRead = Annotated[OrgCall, Depends(organisation_access("organisation"))]
DashboardRead = Annotated[OrgCall, Depends(organisation_access("dashboard"))]
RoadmapRead = Annotated[OrgCall, Depends(organisation_access("roadmap"))]
OrganisationPlanRead = Annotated[OrgCall, Depends(organisation_access("plan"))]
RoundRead = Annotated[RoundCall, Depends(round_access("round"))]
RoundDashboardRead = Annotated[RoundCall, Depends(round_access("dashboard"))]
RoundPlanRead = Annotated[RoundCall, Depends(round_access("plan"))]
RoundWorkshopRead = Annotated[RoundCall, Depends(round_access("workshop"))]
ActionRead = Annotated[PlannedAction, Depends(action_access(Action.read))]
ActionWrite = Annotated[PlannedAction, Depends(action_access(Action.write))]
WorkshopRead = Annotated[Workshop, Depends(workshop_access(Action.read))]
