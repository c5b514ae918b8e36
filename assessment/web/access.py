"""Access rules, declared once per resource.

Every route depends on exactly one access dependency made here: `site_access` for routes
that name no organisation, or the resource's loader, which fetches the row (404 when missing)
and asks `assessment.policy` whether the viewer may read or change it (403, 404 for another
organisation's data, or a redirect to sign in).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session, SQLModel

from assessment import workshops
from assessment.models import (
    Action as PlannedAction,
)
from assessment.models import (
    Assessment,
    AssessmentKind,
    Organisation,
    Participant,
    Phase,
    ReportJob,
    Round,
    Survey,
    Unit,
    User,
    Workshop,
    id_of,
)
from assessment.policy import Action, Decision, Viewer, decide, decide_site
from assessment.web.auth import SignInRequired, load_viewer
from assessment.web.deps import PathId, SessionDep
from assessment.web.security import client_address


def current_viewer(request: Request, session: SessionDep) -> Viewer:
    """The viewer of this request, loaded once per request."""
    cached = getattr(request.state, "viewer", None)
    if cached is None:
        cached, user = load_viewer(session, request.app.state.sessions, request)
        if user is not None:
            # Detached with its values loaded: a route that rolls its session back must not
            # expire the user that every page (and the error page) shows.
            session.expunge(user)
        request.state.viewer, request.state.user = cached, user
    viewer: Viewer = cached
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def enforce(decision: Decision) -> None:
    """Turn a decision into the response it calls for."""
    if decision is Decision.sign_in:
        raise SignInRequired
    if decision is Decision.not_found:
        raise HTTPException(status_code=404)
    if decision is Decision.forbidden:
        raise HTTPException(status_code=403)


def authorize(viewer: Viewer, kind: str, action: Action, organisation_id: int,
              unit_id: int | None = None) -> None:
    """Raise unless the viewer may do `action` on the resource."""
    enforce(decide(viewer, kind, action, organisation_id, unit_id))


def may(viewer: Viewer, kind: str, action: Action, organisation_id: int,
        unit_id: int | None = None) -> bool:
    """Whether the viewer may do it (for showing or hiding controls; routes still check)."""
    return decide(viewer, kind, action, organisation_id, unit_id) is Decision.allow


def _tag(func: Callable[..., Any], resource: str, action: Action) -> Callable[..., Any]:
    # The route table test reads this tag to prove every route has exactly one rule.
    func.__access_rule__ = (resource, action)  # type: ignore[attr-defined]
    return func


def site_access(kind: str, action: Action) -> Callable[..., Viewer]:
    """The rule for routes that name no organisation."""

    def check(viewer: ViewerDep) -> Viewer:
        enforce(decide_site(viewer, kind, action))
        return viewer

    return _tag(check, kind, action)


def current_user(request: Request, viewer: ViewerDep) -> User:
    """The signed-in user (after an access rule has let the request in)."""
    user: User | None = getattr(request.state, "user", None)
    if user is None:
        raise SignInRequired
    return user


UserDep = Annotated[User, Depends(current_user)]


M = TypeVar("M", bound=SQLModel)


def _get_or_404(session: Session, model: type[M], ident: int) -> M:
    row = session.get(model, ident)
    if row is None:
        raise HTTPException(status_code=404)
    return row


def organisation_access(action: Action, kind: str = "organisation",
                        ) -> Callable[..., Organisation]:
    """Load the path's organisation and check the viewer may `action` it (or its `kind` of
    data: members, audit log)."""

    def load(organisation_id: PathId, session: SessionDep, viewer: ViewerDep) -> Organisation:
        organisation = _get_or_404(session, Organisation, organisation_id)
        authorize(viewer, kind, action, organisation_id)
        return organisation

    return _tag(load, kind, action)


def round_access(action: Action, kind: str = "round") -> Callable[..., Round]:
    """Load the path's round and check the viewer may `action` its organisation (or its
    `kind` of data: exports)."""

    def load(round_id: PathId, session: SessionDep, viewer: ViewerDep) -> Round:
        round_ = _get_or_404(session, Round, round_id)
        authorize(viewer, kind, action, round_.organisation_id)
        return round_

    return _tag(load, kind, action)


@dataclass(frozen=True)
class RoundUnit:
    """A round and one unit of the same organisation, both from the path."""

    round: Round
    unit: Unit


def round_unit_access(action: Action, kind: str = "unit") -> Callable[..., RoundUnit]:
    """Load the path's round and unit (404 unless they share an organisation) and check the
    viewer may `action` the unit (or, with kind "workshop", run a workshop for it)."""

    def load(round_id: PathId, unit_id: PathId, session: SessionDep,
             viewer: ViewerDep) -> RoundUnit:
        round_ = _get_or_404(session, Round, round_id)
        unit = _get_or_404(session, Unit, unit_id)
        if unit.organisation_id != round_.organisation_id:
            raise HTTPException(status_code=404)
        authorize(viewer, kind, action, round_.organisation_id, unit_id)
        return RoundUnit(round_, unit)

    return _tag(load, kind, action)


def assessment_access(action: Action) -> Callable[..., Assessment]:
    """Load the path's assessment and check the viewer may `action` its organisation."""

    def load(assessment_id: PathId, session: SessionDep, viewer: ViewerDep) -> Assessment:
        assessment = _get_or_404(session, Assessment, assessment_id)
        if assessment.kind == AssessmentKind.survey:  # only respondents' answers: no pages
            raise HTTPException(status_code=404)
        round_ = _get_or_404(session, Round, assessment.round_id)
        authorize(viewer, "assessment", action, round_.organisation_id, assessment.unit_id)
        return assessment

    return _tag(load, "assessment", action)


def workshop_access(action: Action) -> Callable[..., Workshop]:
    """Load the path's workshop and check the viewer may `action` it (facilitator side)."""

    def load(workshop_id: PathId, session: SessionDep, viewer: ViewerDep) -> Workshop:
        workshop = _get_or_404(session, Workshop, workshop_id)
        authorize(viewer, "workshop", action, workshop.organisation_id)
        return workshop

    return _tag(load, "workshop", action)


def survey_access(action: Action) -> Callable[..., Survey]:
    """Load the path's pre-workshop survey and check the viewer may `action` it (the
    workshop rule: consultants run it, leadership reads it)."""

    def load(survey_id: PathId, session: SessionDep, viewer: ViewerDep) -> Survey:
        survey = _get_or_404(session, Survey, survey_id)
        authorize(viewer, "workshop", action, survey.organisation_id)
        return survey

    return _tag(load, "workshop", action)


def phase_access(action: Action) -> Callable[..., Phase]:
    """Load the path's roadmap phase and check the viewer may `action` the roadmap."""

    def load(phase_id: PathId, session: SessionDep, viewer: ViewerDep) -> Phase:
        phase = _get_or_404(session, Phase, phase_id)
        authorize(viewer, "roadmap", action, phase.organisation_id)
        return phase

    return _tag(load, "roadmap", action)


def unit_plan_access(action: Action) -> Callable[..., Unit]:
    """Load the path's unit and check the viewer may `action` its plan (targets, actions)."""

    def load(unit_id: PathId, session: SessionDep, viewer: ViewerDep) -> Unit:
        unit = _get_or_404(session, Unit, unit_id)
        authorize(viewer, "plan", action, unit.organisation_id, unit_id)
        return unit

    return _tag(load, "plan", action)


def unit_access(action: Action, kind: str = "unit") -> Callable[..., Unit]:
    """Load the path's unit and check the viewer may `action` it (a unit lead: their own
    units and the units below them)."""

    def load(unit_id: PathId, session: SessionDep, viewer: ViewerDep) -> Unit:
        unit = _get_or_404(session, Unit, unit_id)
        authorize(viewer, kind, action, unit.organisation_id, unit_id)
        return unit

    return _tag(load, kind, action)


def action_access(action: Action) -> Callable[..., PlannedAction]:
    """Load the path's planned action and check the viewer may `action` its unit's plan."""

    def load(action_id: PathId, session: SessionDep, viewer: ViewerDep) -> PlannedAction:
        planned = _get_or_404(session, PlannedAction, action_id)
        authorize(viewer, "plan", action, planned.organisation_id, planned.unit_id)
        return planned

    return _tag(load, "plan", action)


# The rule a report job is read under, by its kind; any other kind: "report" on the job's
# unit. A leadership brief's unit is the top of its sub-tree, which a unit lead may lead: the
# brief is the dashboard's data, so it goes by the brief's own rule.
REPORT_JOB_RULES = {"brief": "brief", "guide": "workshop"}


def report_job_access(action: Action) -> Callable[..., ReportJob]:
    """Load the path's report job and check the viewer may `action` its report (the rule of
    its kind: a unit's report, or a leadership brief)."""

    def load(job_id: PathId, session: SessionDep, viewer: ViewerDep) -> ReportJob:
        job = _get_or_404(session, ReportJob, job_id)
        rule = REPORT_JOB_RULES.get(job.kind)
        if rule is not None:
            authorize(viewer, rule, action, job.organisation_id)
        else:
            authorize(viewer, "report", action, job.organisation_id, job.unit_id)
        return job

    return _tag(load, "report", action)


class JoinRequired(Exception):
    """A participant page was opened without having joined: go to the join form."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Seat:
    """A workshop and the participant sitting in it (from the participant cookie)."""

    workshop: Workshop
    participant: Participant
    content_hash: str = ""  # of the framework version the round is pinned to, read with it


PARTICIPANT_COOKIE_PREFIX = "wp"


def participant_cookie(workshop: Workshop) -> str:
    """The name of the cookie that holds a participant's token for one workshop."""
    return f"{PARTICIPANT_COOKIE_PREFIX}{workshop.id}"


def participant_tokens(request: Request) -> dict[int, str]:
    """The participant tokens the browser keeps, by workshop id."""
    size = len(PARTICIPANT_COOKIE_PREFIX)
    return {int(name[size:]): value for name, value in request.cookies.items()
            if name.startswith(PARTICIPANT_COOKIE_PREFIX) and name[size:].isdigit()}


def read_seat(request: Request, session: Session, code: str, action: Action) -> Seat:
    """The rule for participants' routes: the workshop of the join code and the participant
    of the browser's cookie, in one query (404 for an unknown code, the join form for a
    browser without a seat in it)."""
    enforce(decide_site(current_viewer(request, session), "participant", action))
    found = workshops.find_seat(session, code, participant_tokens(request))
    if found is None:
        raise HTTPException(status_code=404)
    if found.participant is None:
        raise JoinRequired(found.workshop.code)
    return Seat(found.workshop, found.participant, found.content_hash)


def participant_access(action: Action) -> Callable[..., Seat]:
    """Load the workshop by its join code and the participant from their cookie.

    FastAPI runs each plain dependency on a worker thread of its own, so this one takes no
    session dependency: it reads the seat in a session of its own, and the rows it returns
    are detached (fully loaded)."""

    def load(code: str, request: Request) -> Seat:
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            return read_seat(request, session, code, action)

    return _tag(load, "participant", action)


class SeatCache:
    """The seats this process found lately, by join code and the browser's participant
    cookies, and the newest state of their workshops it has read (a move is read once per
    process for the phones' streams), for the vote (see `SeatLookup`). What is kept may be
    out of date (the workshop moved on again, the seat was removed): the vote's own
    statement checks, as it writes, that the workshop is still open and at the version
    the vote was checked against and that the seat is still there, and a refused vote
    reads the seat again."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._seats: dict[tuple[str, frozenset[tuple[int, str]]], Seat] = {}
        self._workshops: dict[int, Workshop] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(code: str, tokens: dict[int, str]) -> tuple[str, frozenset[tuple[int, str]]]:
        """The cache key of a join code and a browser's participant cookies."""
        return workshops.clean_code(code), frozenset(tokens.items())

    def get(self, key: tuple[str, frozenset[tuple[int, str]]]) -> Seat | None:
        """The seat kept for the key, with the newest state of its workshop known here."""
        seat = self._seats.get(key)
        if seat is None:
            return None
        newest = self._workshops.get(id_of(seat.workshop))
        if newest is not None and newest.version > seat.workshop.version:
            return Seat(newest, seat.participant, seat.content_hash)
        return seat

    def put(self, key: tuple[str, frozenset[tuple[int, str]]], seat: Seat) -> None:
        """Keep a seat just read (a full cache starts again)."""
        with self._lock:
            if len(self._seats) >= self.size:
                self._seats.clear()
                self._workshops.clear()
            self._seats[key] = seat
        self.saw(seat.workshop)

    def saw(self, workshop: Workshop) -> None:
        """A state of the workshop just read (detached, never changed afterwards): kept
        if it is newer than the one kept."""
        with self._lock:
            kept = self._workshops.get(id_of(workshop))
            if kept is None or workshop.version > kept.version:
                self._workshops[id_of(workshop)] = workshop

    def forget(self, key: tuple[str, frozenset[tuple[int, str]]]) -> None:
        """Drop the seat kept for the key."""
        with self._lock:
            self._seats.pop(key, None)


@dataclass(frozen=True)
class SeatLookup:
    """A participant's seat, read by the route itself (`read`) in its own session."""

    request: Request
    code: str
    action: Action

    def read(self, session: Session, *, kept: bool = False) -> tuple[Seat, bool]:
        """Apply the rule (`read_seat`): the seat, or the refusal. With `kept`, a seat this
        process read before for the same code and cookies may come back instead (the
        second value says so); the caller must then let a statement check that the workshop
        is still at the seat's version, and read again (`forget`) if it is not."""
        if kept:
            cache: SeatCache = self.request.app.state.seats
            key = cache.key(self.code, participant_tokens(self.request))
            found = cache.get(key)
            if found is not None:
                enforce(decide_site(current_viewer(self.request, session), "participant",
                                    self.action))
                return found, True
        seat = read_seat(self.request, session, self.code, self.action)
        if kept:
            # Kept rows must outlive this session untouched: a rollback would expire them
            # (and other threads would then load them through a session not theirs).
            session.expunge(seat.workshop)
            session.expunge(seat.participant)
            cache.put(key, seat)
        return seat, False

    def forget(self) -> None:
        """Drop the seat kept for this code and these cookies."""
        cache: SeatCache = self.request.app.state.seats
        cache.forget(cache.key(self.code, participant_tokens(self.request)))


def participant_lookup(action: Action) -> Callable[..., Awaitable[SeatLookup]]:
    """Like `participant_access`, for the vote, which hundreds of phones post within seconds:
    the dependency runs on the event loop and hands the route the lookup, so the seat is
    read in the same worker thread and session as the vote (one trip to a worker thread per
    vote instead of two). The route must call `read` before anything else."""

    async def defer(code: str, request: Request) -> SeatLookup:
        return SeatLookup(request, code, action)

    return _tag(defer, "participant", action)


def participant_stream_access() -> Callable[..., Seat | None]:
    """Like `participant_access` (read), for the stream a participant's screen holds: a
    browser without a seat in the workshop gets None (nothing to follow) instead of the
    join page, and an address opening streams too fast is refused before anything is read.
    The session is closed before the stream starts."""

    def load(code: str, request: Request) -> Seat | None:
        request.app.state.stream_limits.check_address(client_address(request))
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            enforce(decide_site(current_viewer(request, session), "participant", Action.read))
            found = workshops.find_seat(session, code, participant_tokens(request))
        if found is None:
            raise HTTPException(status_code=404)
        if found.participant is None:
            return None
        return Seat(found.workshop, found.participant, found.content_hash)

    return _tag(load, "participant", Action.read)


def workshop_stream_access() -> Callable[..., Workshop]:
    """Like `workshop_access` (read), for the stream the console or the projector holds: in
    a session of its own, closed before the stream starts."""

    def load(workshop_id: PathId, request: Request) -> Workshop:
        request.app.state.stream_limits.check_address(client_address(request))
        with Session(request.app.state.engine, expire_on_commit=False) as session:
            viewer = current_viewer(request, session)
            workshop = _get_or_404(session, Workshop, workshop_id)
            authorize(viewer, "workshop", Action.read, workshop.organisation_id)
        return workshop

    return _tag(load, "workshop", Action.read)


Public = Annotated[Viewer, Depends(site_access("public", Action.read))]
PublicWrite = Annotated[Viewer, Depends(site_access("public", Action.write))]
SiteRead = Annotated[Viewer, Depends(site_access("site", Action.read))]
SiteWrite = Annotated[Viewer, Depends(site_access("site", Action.write))]
AccountRead = Annotated[Viewer, Depends(site_access("account", Action.read))]
AccountWrite = Annotated[Viewer, Depends(site_access("account", Action.write))]
UsersRead = Annotated[Viewer, Depends(site_access("users", Action.read))]
UsersWrite = Annotated[Viewer, Depends(site_access("users", Action.write))]
FrameworksRead = Annotated[Viewer, Depends(site_access("frameworks", Action.read))]
FrameworksWrite = Annotated[Viewer, Depends(site_access("frameworks", Action.write))]
SiteBrandRead = Annotated[Viewer, Depends(site_access("site_brand", Action.read))]
SiteBrandWrite = Annotated[Viewer, Depends(site_access("site_brand", Action.write))]
BrandRead = Annotated[Organisation, Depends(organisation_access(Action.read, "brand"))]
BrandWrite = Annotated[Organisation, Depends(organisation_access(Action.write, "brand"))]
OrganisationRead = Annotated[Organisation, Depends(organisation_access(Action.read))]
OrganisationWrite = Annotated[Organisation, Depends(organisation_access(Action.write))]
MembersRead = Annotated[Organisation, Depends(organisation_access(Action.read, "members"))]
MembersWrite = Annotated[Organisation, Depends(organisation_access(Action.write, "members"))]
AuditRead = Annotated[Organisation, Depends(organisation_access(Action.read, "audit"))]
RoundRead = Annotated[Round, Depends(round_access(Action.read))]
RoundUnitWrite = Annotated[RoundUnit, Depends(round_unit_access(Action.write))]
AssessmentRead = Annotated[Assessment, Depends(assessment_access(Action.read))]
AssessmentWrite = Annotated[Assessment, Depends(assessment_access(Action.write))]
WorkshopCreate = Annotated[RoundUnit, Depends(round_unit_access(Action.write, "workshop"))]
WorkshopRead = Annotated[Workshop, Depends(workshop_access(Action.read))]
WorkshopWrite = Annotated[Workshop, Depends(workshop_access(Action.write))]
SurveyRead = Annotated[Survey, Depends(survey_access(Action.read))]
SurveyWrite = Annotated[Survey, Depends(survey_access(Action.write))]
SeatRead = Annotated[Seat, Depends(participant_access(Action.read))]
SeatWrite = Annotated[Seat, Depends(participant_access(Action.write))]
SeatWriteLookup = Annotated[SeatLookup, Depends(participant_lookup(Action.write))]
SeatStream = Annotated[Seat | None, Depends(participant_stream_access())]
WorkshopStream = Annotated[Workshop, Depends(workshop_stream_access())]
RoadmapRead = Annotated[Organisation, Depends(organisation_access(Action.read, "roadmap"))]
RoadmapWrite = Annotated[Organisation, Depends(organisation_access(Action.write, "roadmap"))]
PhaseWrite = Annotated[Phase, Depends(phase_access(Action.write))]
PlanRead = Annotated[Unit, Depends(unit_plan_access(Action.read))]
PlanWrite = Annotated[Unit, Depends(unit_plan_access(Action.write))]
TargetsWrite = Annotated[RoundUnit, Depends(round_unit_access(Action.write, "plan"))]
PlannedActionWrite = Annotated[PlannedAction, Depends(action_access(Action.write))]
DashboardRead = Annotated[Organisation, Depends(organisation_access(Action.read, "dashboard"))]
BriefRead = Annotated[Organisation, Depends(organisation_access(Action.read, "brief"))]
BriefCreate = Annotated[Organisation, Depends(organisation_access(Action.write, "brief"))]
UnitRead = Annotated[Unit, Depends(unit_access(Action.read))]
ReportRead = Annotated[RoundUnit, Depends(round_unit_access(Action.read, "report"))]
ReportCreate = Annotated[RoundUnit, Depends(round_unit_access(Action.write, "report"))]
RoadmapReportRead = Annotated[Organisation, Depends(
    organisation_access(Action.read, "roadmap_report"))]
RoadmapReportCreate = Annotated[Organisation, Depends(
    organisation_access(Action.write, "roadmap_report"))]
ReportJobRead = Annotated[ReportJob, Depends(report_job_access(Action.read))]
RoundExport = Annotated[Round, Depends(round_access(Action.read, "export"))]
OrganisationExport = Annotated[Organisation, Depends(organisation_access(Action.read, "export"))]
OrganisationFullExport = Annotated[Organisation, Depends(
    organisation_access(Action.read, "full_export"))]
ApiTokensRead = Annotated[Organisation, Depends(organisation_access(Action.read, "api_tokens"))]
ApiTokensWrite = Annotated[Organisation, Depends(organisation_access(Action.write, "api_tokens"))]
