"""Access rules, declared once per resource.

Every route depends on exactly one access dependency made here: `site_access` for routes
that name no resource, or the resource's loader, which fetches the row (404 when missing)
and then asks `authorize` whether the viewer may read or change it (403 otherwise).
Accounts and roles plug into `current_viewer` and `authorize` without touching routes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session, SQLModel

from assessment.models import Assessment, Organisation, Round, Unit
from assessment.web.deps import SessionDep


class Action(StrEnum):
    """What a route does with its resource."""

    read = "read"
    write = "write"


@dataclass(frozen=True)
class Viewer:
    """Who is making the request. Until accounts exist, every visitor is a facilitator."""

    may_read: bool = True
    may_write: bool = True


def current_viewer(request: Request) -> Viewer:
    """The viewer of this request."""
    return Viewer()


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def authorize(viewer: Viewer, action: Action, organisation_id: int | None) -> None:
    """Raise 403 unless the viewer may do `action` in the organisation (None: site-wide)."""
    allowed = viewer.may_write if action is Action.write else viewer.may_read
    if not allowed:
        raise HTTPException(status_code=403)


def _tag(func: Callable[..., Any], resource: str, action: Action) -> Callable[..., Any]:
    # The route table test reads this tag to prove every route has exactly one rule.
    func.__access_rule__ = (resource, action)  # type: ignore[attr-defined]
    return func


def site_access(action: Action) -> Callable[..., Viewer]:
    """The rule for routes that name no organisation (home page, creating an organisation)."""

    def check(viewer: ViewerDep) -> Viewer:
        authorize(viewer, action, None)
        return viewer

    return _tag(check, "site", action)


def public_access() -> Callable[..., None]:
    """The rule for routes anyone may use (the language switch)."""

    def check() -> None:
        return None

    return _tag(check, "public", Action.read)


M = TypeVar("M", bound=SQLModel)


def _get_or_404(session: Session, model: type[M], ident: int) -> M:
    row = session.get(model, ident)
    if row is None:
        raise HTTPException(status_code=404)
    return row


def organisation_access(action: Action) -> Callable[..., Organisation]:
    """Load the path's organisation and check the viewer may `action` it."""

    def load(organisation_id: int, session: SessionDep, viewer: ViewerDep) -> Organisation:
        organisation = _get_or_404(session, Organisation, organisation_id)
        authorize(viewer, action, organisation.id)
        return organisation

    return _tag(load, "organisation", action)


def round_access(action: Action) -> Callable[..., Round]:
    """Load the path's round and check the viewer may `action` its organisation."""

    def load(round_id: int, session: SessionDep, viewer: ViewerDep) -> Round:
        round_ = _get_or_404(session, Round, round_id)
        authorize(viewer, action, round_.organisation_id)
        return round_

    return _tag(load, "round", action)


@dataclass(frozen=True)
class RoundUnit:
    """A round and one unit of the same organisation, both from the path."""

    round: Round
    unit: Unit


def round_unit_access(action: Action) -> Callable[..., RoundUnit]:
    """Load the path's round and unit (404 unless they share an organisation) and check."""

    def load(round_id: int, unit_id: int, session: SessionDep, viewer: ViewerDep) -> RoundUnit:
        round_ = _get_or_404(session, Round, round_id)
        unit = _get_or_404(session, Unit, unit_id)
        if unit.organisation_id != round_.organisation_id:
            raise HTTPException(status_code=404)
        authorize(viewer, action, round_.organisation_id)
        return RoundUnit(round_, unit)

    return _tag(load, "unit", action)


def assessment_access(action: Action) -> Callable[..., Assessment]:
    """Load the path's assessment and check the viewer may `action` its organisation."""

    def load(assessment_id: int, session: SessionDep, viewer: ViewerDep) -> Assessment:
        assessment = _get_or_404(session, Assessment, assessment_id)
        round_ = _get_or_404(session, Round, assessment.round_id)
        authorize(viewer, action, round_.organisation_id)
        return assessment

    return _tag(load, "assessment", action)


SiteRead = Annotated[Viewer, Depends(site_access(Action.read))]
SiteWrite = Annotated[Viewer, Depends(site_access(Action.write))]
Public = Annotated[None, Depends(public_access())]
OrganisationRead = Annotated[Organisation, Depends(organisation_access(Action.read))]
OrganisationWrite = Annotated[Organisation, Depends(organisation_access(Action.write))]
RoundRead = Annotated[Round, Depends(round_access(Action.read))]
RoundUnitWrite = Annotated[RoundUnit, Depends(round_unit_access(Action.write))]
AssessmentRead = Annotated[Assessment, Depends(assessment_access(Action.read))]
AssessmentWrite = Annotated[Assessment, Depends(assessment_access(Action.write))]
