"""Live workshops: the facilitator's console, the projector, and participants' phones."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any

import segno
from fastapi import APIRouter, Form, Request
from markupsafe import escape
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from assessment import brand, services, survey, workshops
from assessment.agendas import plan_from_template
from assessment.framework import Framework
from assessment.i18n import Translator
from assessment.models import Choice, Workshop, WorkshopStatus, id_of
from assessment.services import ServiceError
from assessment.web.access import (
    Public,
    PublicWrite,
    Seat,
    SeatLookup,
    SeatRead,
    SeatWrite,
    SeatWriteLookup,
    UserDep,
    WorkshopCreate,
    WorkshopRead,
    WorkshopWrite,
    participant_cookie,
)
from assessment.web.deps import (
    PathId,
    RegistryDep,
    SessionDep,
    TranslatorDep,
    get_registry,
    translator_for,
)
from assessment.web.htmx import wants_fragment
from assessment.web.pages import empty_form, failed_form, see_other
from assessment.web.routes import survey as survey_routes
from assessment.web.routes.rounds import WorkshopForm, round_page
from assessment.web.security import client_address
from reports.charts import ScoreFormat
from reports.radar import RadarChart, RadarSeries, cached_radar_svg

router = APIRouter()
# The participants' routes: hundreds of phones call them at once, so the app matches a
# request against these first.
phones = APIRouter()
Text = Annotated[str | None, Form()]
PARTICIPANT_COOKIE_SECONDS = 24 * 3600


def _framework(session: SessionDep, registry: RegistryDep, workshop: Workshop) -> Framework:
    return services.framework_of_round(session, registry, workshop.round_id)


def _step_basics(workshop: Workshop, framework: Framework) -> dict[str, Any]:
    """What every screen shows of the current step, before any votes are counted."""
    plan = workshops.plan_of(workshop, framework)
    steps = workshops.workshop_agenda(workshop, framework)
    step = steps[min(max(workshop.step_index, 0), len(steps) - 1)]
    closed = workshop.status == WorkshopStatus.closed
    return {
        "workshop": workshop, "framework": framework, "step": step,
        "factor": framework.factor(step.factor_id) if step.factor_id else None,
        "question": framework.question(step.question_id)[1] if step.question_id else None,
        "closed": closed, "agenda": (), "steps": steps, "plan": plan,
        "plan_item": plan.items[step.item] if step.item is not None else None,
        "timer": None if closed else workshops.timer(workshop, framework),
        "position": workshops.position(framework, step, steps),
        "participants": None, "summary": None, "revealed": False, "votes": 0, "needs": [],
    }


def _step_view(session: SessionDep, workshop: Workshop, framework: Framework,
               min_votes: int) -> dict[str, Any]:
    """What the console and the projector show of the current step: the agenda and counts."""
    values = _step_basics(workshop, framework)
    step, factor, question = values["step"], values["factor"], values["question"]
    values.update(agenda=values["steps"],
                  participants=workshops.participant_count(session, workshop))
    if question is not None:
        votes = workshops.question_votes(session, workshop, [question.id]).get(question.id, [])
        values["votes"] = len(votes)
        values["revealed"] = workshops.is_revealed(session, workshop, question.id)
        values["summary"] = workshops.summarise(votes, framework.stage_count, min_votes,
                                 framework.first_level)
    if step.kind is workshops.StepKind.target and factor is not None:
        levels = workshops.target_votes(session, workshop, factor.id)
        values["votes"] = len(levels)
        values["summary"] = workshops.summarise([("level", lv) for lv in levels],
                                                framework.stage_count, min_votes,
                                 framework.first_level)
    if step.kind in (workshops.StepKind.needs, workshops.StepKind.needs_vote,
                     workshops.StepKind.wrapup):
        values["needs"] = workshops.ranked_needs(session, workshop)
    survey_routes.workshop_values(session, workshop, framework, values, min_votes)
    return values


# The projector's radar is read from the back of the room: its text is drawn larger.
PROJECTOR_TEXT_SCALE = 1.6


def _wrapup(session: SessionDep, workshop: Workshop, framework: Framework, t: Translator,
            min_votes: int, text_scale: float = 1.0) -> dict[str, Any]:
    assessment = session.get(services.Assessment, workshop.assessment_id)
    assert assessment is not None
    scores = services.score_assessment(framework, services.own_answers(session, assessment))
    targets = workshops.targets_for(session, workshop.round_id, workshop.unit_id)
    votes = workshops.question_votes(session, workshop)
    divergent = [(f, q, workshops.summarise(votes[q.id], framework.stage_count, min_votes,
                                 framework.first_level))
                 for f in framework.factors for q in f.questions if q.id in votes]
    outer = [(f, s) for f, s in zip(framework.factors, scores, strict=True) if not f.core]
    core = next(((f, s) for f, s in zip(framework.factors, scores, strict=True) if f.core), None)

    def value(score: services.FactorScore) -> float | None:
        return float(score.score) if score.score is not None else None

    chart = RadarChart(
        title=t.gettext("Consensus and targets"),
        axes=tuple(t.text(f.name) for f, _ in outer),
        levels=tuple(t.text(s.name) for s in framework.stages),
        first_level=framework.first_level,
        series=(RadarSeries(t.gettext("Consensus"), tuple(value(s) for _, s in outer)),
                RadarSeries(t.gettext("Target"), tuple(
                    float(targets[f.id]) if f.id in targets else None for f, _ in outer),
                    "dashed")),
        core_label=t.text(core[0].name) if core else None,
        core_values=(value(core[1]), float(targets[core[0].id]) if core[0].id in targets
                     else None) if core else (),
        number_format=ScoreFormat.of(t), text_scale=text_scale)
    # The console and the projector poll this every 2 s: the drawing comes from the cache.
    return {"scores": list(zip(framework.factors, scores, strict=True)), "targets": targets,
            "divergent": [d for d in divergent if d[2].divergent and not d[2].hidden],
            "radar_svg": cached_radar_svg(chart)}


def _screen_digest(values: dict[str, Any]) -> str:
    """A digest of what a polled screen shows: the screen polls with the digest it shows and
    gets 204 (nothing to swap) while it is the same, so a choice half made in the console's
    forms is not reset, and the projector is not redrawn, every 2 s."""
    timer = values.get("timer")
    shown = (values["workshop"].version, values["step"].index, values["closed"],
             (timer.state, timer.ends_at, timer.timebox,
              timer.left_ms if timer.state != "running" else None) if timer else None,
             values["participants"], values["votes"], values["revealed"], values["summary"],
             [(n.need.id, n.need.text, n.dots, [m.id for m in n.merged])
              for n in values["needs"]],
             [(f.id, s.score) for f, s in values.get("scores", ())],
             sorted(values.get("targets", {}).items()), values.get("language"),
             [(s.participant.id, s.participant.removed_at is None, s.votes)
              for s in values.get("seats", ())], survey_routes.digest_part(values))
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


def _unchanged(request: Request, values: dict[str, Any], seen: str | None) -> bool:
    """Whether a polling screen already shows these values (see `_screen_digest`)."""
    values["digest"] = _screen_digest(values)
    return wants_fragment(request) and seen == values["digest"]


def _join_base(request: Request) -> str:
    """The join page's address as phones reach it: under the public URL when one is set."""
    public: str | None = request.app.state.settings.public_url
    if public:
        return public.rstrip("/") + "/join"
    return str(request.url_for("show_join"))


def _min_votes(request: Request) -> int:
    minimum: int = request.app.state.settings.workshop_min_votes
    return minimum


# Facilitator --------------------------------------------------------------------------

@router.post("/rounds/{round_id}/units/{unit_id}/workshops")
def create_workshop(request: Request, session: SessionDep, t: TranslatorDep,
                    registry: RegistryDep, target: WorkshopCreate, user: UserDep,
                    dots: Text = None, another: Text = None, targets: Text = None,
                    focus: Text = None, agenda: Text = None) -> Response:
    """Open a workshop for the unit in the round with the chosen agenda template and show
    the facilitator's console (the running one, unless `another` session is asked for on
    purpose); a template whose factors the consultant chooses opens its agenda first. With
    `focus`, the questions the unit's pre-survey agrees on are confirmed per factor, not
    discussed."""
    raw = (dots or "").strip()
    template = request.app.state.agendas.get(agenda)
    try:
        if agenda and template is None:
            raise services.InvalidInput(services.N_("Choose one of the agenda templates."),
                                        field="agenda")
        framework = services.framework_of_round(session, registry, id_of(target.round))
        plan = plan_from_template(template, framework) if template else None
        skip = survey.focus_questions(session, target.round, target.unit, framework,
                                      _min_votes(request)) if focus == "1" else []
        workshop = workshops.create_workshop(session, target.round, target.unit, by=user,
                                             dots=_dot_count(raw), another=another == "1",
                                             targets_per_factor=targets == "factor",
                                             skip=skip, plan=plan)
    except ServiceError as exc:
        session.rollback()
        form = WorkshopForm(id_of(target.unit), raw, t.gettext(exc.message, **exc.params))
        return round_page(request, session, t, registry, target.round, workshop_form=form,
                          status=exc.status)
    session.commit()
    if template is not None and template.factors == "choose" and workshop.version == 0:
        return see_other(f"/workshops/{workshop.id}/agenda?choose=1")
    return see_other(f"/workshops/{workshop.id}")


def _dot_count(raw: str | None) -> int:
    """The number of dots typed (3 when empty); 0, which the workshop refuses with its
    message, for anything that is not a small whole number."""
    raw = (raw or "").strip()
    if not raw:
        return 3
    small = raw.isascii() and raw.lstrip("-").isdigit() and len(raw) < 6
    return int(raw) if small else 0


def _console(request: Request, session: SessionDep, t: Translator, registry: RegistryDep,
             workshop: Workshop, *, message: str | None = None, status: int = 200,
             seen: str | None = None) -> Response:
    framework = _framework(session, registry, workshop)
    values = _step_view(session, workshop, framework, _min_votes(request))
    values.update(language=t.language, seats=workshops.seats(session, workshop))
    if values["step"].kind is workshops.StepKind.target:  # the live box proposes the target
        values["targets"] = workshops.targets_for(session, workshop.round_id, workshop.unit_id)
    if _unchanged(request, values, seen):
        return Response(status_code=204)
    if wants_fragment(request):  # the poll: only the live box, so no wrap-up chart
        return request.app.state.pages.page(request, t, "workshop.html", values,
                                            fragment=["live"])
    unit = session.get(services.Unit, workshop.unit_id)
    round_ = session.get(services.Round, workshop.round_id)
    answers = services.own_answers(session, session.get(services.Assessment,
                                                        workshop.assessment_id))  # type: ignore[arg-type]
    agreed = {qid for qid, answer in answers.items() if answer.level is not None}
    values.update(unit=unit, round=round_, consensus=answers, message=message,
                  times=workshops.agenda_times(workshop, framework),
                  by_factor=workshops.agenda_by_factor(values["agenda"], framework, agreed,
                                                       values["step"]),
                  earlier_sessions=workshops.earlier_sessions(session, workshop),
                  join_url=_join_base(request) + f"?code={workshop.code}")
    if "targets" not in values:  # the target step read them before its digest
        values["targets"] = workshops.targets_for(session, workshop.round_id, workshop.unit_id)
    if values["step"].kind is workshops.StepKind.wrapup:
        values.update(_wrapup(session, workshop, framework, t, _min_votes(request)))
    return request.app.state.pages.page(request, t, "workshop.html", values,
                                        fragment=["live"], status=status)


@router.get("/workshops/{workshop_id}")
def show_workshop(request: Request, session: SessionDep, t: TranslatorDep,
                  registry: RegistryDep, workshop: WorkshopRead, seen: str | None = None,
                  ) -> Response:
    """The facilitator's console: agenda, the current step, votes counted but not shown.
    Its live box polls with `seen`, the digest of what it shows, and gets 204 while that
    is still current."""
    return _console(request, session, t, registry, workshop, seen=seen)


def _facilitator_action(request: Request, session: SessionDep, t: Translator,
                        registry: RegistryDep, workshop: Workshop, action: Any) -> Response:
    try:
        action(_framework(session, registry, workshop))
    except ServiceError as exc:
        session.rollback()
        return _console(request, session, t, registry, workshop,
                        message=t.gettext(exc.message, **exc.params), status=exc.status)
    session.commit()
    _published(request, workshop)
    return see_other(f"/workshops/{workshop.id}")


def _published(request: Request, workshop: Workshop) -> None:
    """Tell this process's live screens of a committed change (other processes learn it
    from PostgreSQL's notification or SQLite's poll)."""
    request.app.state.live.publish(id_of(workshop), workshop.version,
                                   workshop.status == WorkshopStatus.closed)


@router.post("/workshops/{workshop_id}/settings")
def change_settings(request: Request, session: SessionDep, t: TranslatorDep,
                    registry: RegistryDep, workshop: WorkshopWrite, dots: Text = None,
                    targets: Text = None) -> Response:
    """Change the dots per participant and where the target steps are."""
    return _facilitator_action(
        request, session, t, registry, workshop,
        lambda fw: workshops.change_settings(session, workshop, fw, dots=_dot_count(dots),
                                             targets_per_factor=targets == "factor"))


@router.post("/workshops/{workshop_id}/step")
def move_step(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
              workshop: WorkshopWrite, index: Text = None) -> Response:
    """Move everyone to an agenda step (next, previous, or any step)."""
    try:
        target = int(index or "")
    except ValueError:
        target = -1
    return _facilitator_action(request, session, t, registry, workshop,
                               lambda fw: workshops.go_to(session, workshop, fw, target))


@router.post("/workshops/{workshop_id}/reveal")
def reveal_votes(request: Request, session: SessionDep, t: TranslatorDep,
                 registry: RegistryDep, workshop: WorkshopWrite, question_id: Text = None,
                 hide: Text = None) -> Response:
    """Reveal a question's votes to everyone, or re-open the question for voting."""
    return _facilitator_action(
        request, session, t, registry, workshop,
        lambda fw: workshops.set_revealed(session, workshop, fw, question_id or "",
                                          revealed=hide != "1"))


@router.post("/workshops/{workshop_id}/consensus")
def record_consensus(request: Request, session: SessionDep, t: TranslatorDep,
                     registry: RegistryDep, workshop: WorkshopWrite, question_id: Text = None,
                     level: Text = None, rationale: Text = None) -> Response:
    """Record the agreed stage of the current question with a short rationale."""
    return _facilitator_action(
        request, session, t, registry, workshop,
        lambda fw: workshops.record_consensus(session, workshop, fw, question_id or "",
                                              level, rationale))


@router.post("/workshops/{workshop_id}/targets")
def record_target(request: Request, session: SessionDep, t: TranslatorDep,
                  registry: RegistryDep, workshop: WorkshopWrite, factor_id: Text = None,
                  level: Text = None) -> Response:
    """Record the agreed target stage of a factor."""
    return _facilitator_action(
        request, session, t, registry, workshop,
        lambda fw: workshops.record_target(session, workshop, fw, factor_id or "", level))


@router.post("/workshops/{workshop_id}/needs")
def add_need(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
             workshop: WorkshopWrite, text: Text = None, factor_id: Text = None) -> Response:
    """The facilitator adds a need (for example one said aloud)."""
    return _facilitator_action(
        request, session, t, registry, workshop,
        lambda fw: workshops.post_need(session, workshop, fw, None, text, factor_id))


@router.post("/workshops/{workshop_id}/needs/merge")
def merge_needs(request: Request, session: SessionDep, t: TranslatorDep,
                registry: RegistryDep, workshop: WorkshopWrite, keep: Text = None,
                other: Text = None) -> Response:
    """Group one need under another."""
    def merge(_fw: Framework) -> None:
        keep_id, other_id = services.parse_id(keep), services.parse_id(other)
        if keep_id is None or other_id is None:
            raise services.InvalidInput(services.N_("Choose two different needs."))
        workshops.merge_needs(session, workshop, keep_id, other_id)

    return _facilitator_action(request, session, t, registry, workshop, merge)


@router.post("/workshops/{workshop_id}/seats/{participant_id}/remove")
def remove_seat(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                workshop: WorkshopWrite, participant_id: int) -> Response:
    """Remove a participant's seat (for example one of several taken by one person): its
    votes no longer count and its cookie stops working."""
    return _facilitator_action(
        request, session, t, registry, workshop,
        lambda _fw: workshops.remove_seat(session, workshop, participant_id))


@router.post("/workshops/{workshop_id}/close")
def close_workshop(request: Request, session: SessionDep, t: TranslatorDep,
                   registry: RegistryDep, workshop: WorkshopWrite) -> Response:
    """End the workshop: participants can no longer join or vote."""
    return _facilitator_action(request, session, t, registry, workshop,
                               lambda fw: workshops.close_workshop(session, workshop, fw))


@router.get("/workshops/{workshop_id}/projector")
def show_projector(request: Request, session: SessionDep, t: TranslatorDep,
                   registry: RegistryDep, workshop: WorkshopRead, seen: str | None = None,
                   ) -> Response:
    """The wall: join code, QR code, and the current step in large type. It polls with
    `seen`, the digest of what it shows, and gets 204 while that is still current."""
    framework = _framework(session, registry, workshop)
    values = _step_view(session, workshop, framework, _min_votes(request))
    values["language"] = t.language
    if values["step"].kind is workshops.StepKind.wrapup:
        values.update(_wrapup(session, workshop, framework, t, _min_votes(request),
                              PROJECTOR_TEXT_SCALE))
    if _unchanged(request, values, seen):
        return Response(status_code=204)
    join_base = _join_base(request)
    join_url = f"{join_base}?code={workshop.code}"
    round_ = session.get(services.Round, workshop.round_id)
    values.update(join_url=join_url, join_base=join_base, qr_svg=_qr_svg(join_url),
                  brand=brand.organisation_brand(session, request.app.state.brand_defaults,
                                                 round_.organisation_id if round_ else None))
    return request.app.state.pages.page(request, t, "projector.html", values,
                                        fragment=["screen"])


@lru_cache(maxsize=64)
def _qr_svg(url: str) -> str:
    """The join URL's QR code as inline SVG (the same on every poll of a workshop)."""
    return segno.make(url, error="m").svg_inline(scale=5, border=2, omitsize=True)


# Participants -------------------------------------------------------------------------

def _join_page(request: Request, t: Translator, session: Session, form: dict[str, Any],
               status: int = 200) -> Response:
    # The join page carries the consultancy's brand (no client is known before joining).
    values = {"form": form, "brand": brand.site_brand(session, request.app.state.brand_defaults)}
    return request.app.state.pages.page(request, t, "join.html", values,
                                        fragment=["content"], status=status)


@phones.get("/join")
def show_join(request: Request, session: SessionDep, t: TranslatorDep, _: Public,
              code: str = "") -> Response:
    """The join form: the code from the wall (pre-filled from the QR link) and a nickname."""
    form = empty_form()
    form["values"] = {"code": workshops.clean_code(code)}
    return _join_page(request, t, session, form)


@phones.post("/join")
def join_workshop(request: Request, session: SessionDep, t: TranslatorDep, _: PublicWrite,
                  code: Text = None, nickname: Text = None) -> Response:
    """Join with the code; the browser keeps the participant's token in a cookie."""
    settings = request.app.state.settings
    try:
        workshop = workshops.open_workshop(session, code)
        existing = workshops.participant_for(session, workshop,
                                             request.cookies.get(participant_cookie(workshop)))
        token = None
        if existing is None:
            workshops.admit(session, workshop, client_address(request),
                            limit=settings.workshop_joins_per_address,
                            window=timedelta(minutes=settings.workshop_join_window_minutes))
            token = workshops.join(session, workshop, nickname)[1]
    except ServiceError as exc:
        session.rollback()
        return _join_page(request, t, session,
                          failed_form(t, exc, {"code": code, "nickname": nickname}),
                          status=exc.status)
    session.commit()
    request.app.state.live.touch(id_of(workshop))
    response = see_other(f"/w/{workshop.code}")
    if token is not None:
        response.set_cookie(participant_cookie(workshop), token,
                            max_age=PARTICIPANT_COOKIE_SECONDS, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    return response


def _mine(vote: services.ParsedAnswer | None) -> str | None:
    """A participant's vote as the value of its radio button."""
    if vote is None or vote.choice is None:
        return None
    return str(vote.level) if vote.choice == Choice.level else str(vote.choice)


def _seat_framework(session: Session, registry: RegistryDep, seat: Seat) -> Framework:
    """The framework of the seat's workshop, by the hash read with the seat."""
    if seat.content_hash:
        return services.framework_by_hash(session, registry, seat.content_hash)
    return _framework(session, registry, seat.workshop)


def _participant_page(request: Request, session: SessionDep, t: Translator,
                      registry: RegistryDep, seat: Seat, *, message: str | None = None,
                      status: int = 200, typed: str | None = None) -> Response:
    """The participant's screen; `typed` is a refused note, offered again to send."""
    workshop, participant = seat.workshop, seat.participant
    framework = _seat_framework(session, registry, seat)
    values = _step_basics(workshop, framework)
    step = values["step"]
    mine, my_needs, dots_left, my_notes = None, [], 0, []
    if step.kind is workshops.StepKind.needs:
        my_notes = workshops.notes_of(session, workshop, participant)
    if step.question_id:
        revealed, vote = workshops.question_for(session, workshop, participant,
                                                step.question_id)
        mine = _mine(vote)
        if revealed:  # only then do participants see the votes
            votes = workshops.question_votes(session, workshop, [step.question_id])
            values.update(revealed=True, summary=workshops.summarise(
                votes.get(step.question_id, []), framework.stage_count, _min_votes(request),
                framework.first_level))
    elif step.kind is workshops.StepKind.target and step.factor_id:
        level = workshops.my_target_vote(session, workshop, participant, step.factor_id)
        mine = str(level) if level is not None else None
    elif step.kind is workshops.StepKind.needs_vote:
        my_needs = workshops.ranked_needs(session, workshop, participant)
        dots_left = workshop.dots_per_participant - workshops.dots_used(session, workshop,
                                                                        participant)
    values.update(participant=participant, mine=mine, message=message, my_needs=my_needs,
                  dots_left=dots_left, vote_saved=False, typed=typed, my_notes=my_notes)
    if step.question_id and message is None and status == 200 and wants_fragment(request):
        return _shared_question_step(request, t, values)
    return request.app.state.pages.page(request, t, "participant.html", values,
                                        fragment=["step"], status=status)


# When the facilitator moves on, every phone asks for the new question within two seconds.
# A question's screen is the same for all but for the phone's own vote, its nickname and its
# CSRF token, and it changes only with the workshop's version (a move, a reveal, the end):
# it is rendered once per version, language and own vote with placeholders for the other two.
_CSRF_SLOT, _NICKNAME_SLOT = "\ue000csrf\ue000", "\ue000nickname\ue000"
_TIMER_SLOT = "\ue000timer\ue000"  # the time left is the phone's own: rendered per request
_SHARED_STEPS: OrderedDict[tuple[Any, ...], str] = OrderedDict()
_SHARED_STEPS_LOCK = threading.Lock()
_SHARED_STEPS_KEPT = 256


@dataclass(frozen=True)
class _Nickname:
    nickname: str


def _shared_html(key: tuple[Any, ...], make: Callable[[], Response]) -> str:
    """The HTML rendered for `key` once (by `make`), shared by every phone that asks."""
    with _SHARED_STEPS_LOCK:
        html = _SHARED_STEPS.get(key)
        if html is not None:
            _SHARED_STEPS.move_to_end(key)
    if html is None:
        html = bytes(make().body).decode()
        with _SHARED_STEPS_LOCK:
            _SHARED_STEPS[key] = html
            while len(_SHARED_STEPS) > _SHARED_STEPS_KEPT:
                _SHARED_STEPS.popitem(last=False)
    return html


def _shared_question_step(request: Request, t: Translator, values: dict[str, Any]) -> Response:
    workshop, participant = values["workshop"], values["participant"]
    key = ("step", id_of(workshop), workshop.version, t.language, values["mine"],
           bool(participant.nickname), _min_votes(request))
    shared = {**values, "csrf_token": _CSRF_SLOT, "timer_slot": _TIMER_SLOT,
              "participant": _Nickname(_NICKNAME_SLOT if participant.nickname else "")}
    html = _shared_html(key, lambda: request.app.state.pages.render(
        request, t, "participant.html", shared, blocks=["step"]))
    filled = html.replace(_CSRF_SLOT, request.app.state.pages.csrf_token(request)).replace(
        _NICKNAME_SLOT, str(escape(participant.nickname or "")))
    if _TIMER_SLOT in filled:
        timer = request.app.state.pages.render(request, t, "_timer.html", values,
                                               blocks=["timer"])
        filled = filled.replace(_TIMER_SLOT, bytes(timer.body).decode())
    return HTMLResponse(filled, headers={"Vary": "HX-Request, Cookie, Accept-Language",
                                         "Content-Language": t.language})


# Participants' screens poll every two seconds, and hundreds of phones vote within seconds.
# FastAPI runs each plain dependency, and each plain route, on a worker thread of its own, so
# these two routes take no session, translator or framework dependency: the seat is read by
# its own dependency, a poll that finds nothing new is answered on the event loop, and the
# rest happens in one trip to a worker thread with a session of its own.

def _own_session(request: Request) -> Session:
    return Session(request.app.state.engine, expire_on_commit=False)


@phones.get("/w/{code}")
async def show_participant(request: Request, seat: SeatRead, v: int | None = None,
                           ) -> Response:
    """The participant's screen; its poll gets 204 until the workshop changes."""
    if v is not None and v == seat.workshop.version and wants_fragment(request):
        return Response(status_code=204)
    return await run_in_threadpool(_participant_screen, request, seat)


def _participant_screen(request: Request, seat: Seat) -> Response:
    with _own_session(request) as session:
        return _participant_page(request, session, translator_for(request),
                                 get_registry(request), seat)


def _refused(request: Request, session: SessionDep, t: Translator, registry: RegistryDep,
             seat: Seat, exc: ServiceError, typed: str | None = None) -> Response:
    """The participant's whole step again, with why the post was refused (and what they
    typed, to send again)."""
    session.rollback()
    response = _participant_page(request, session, t, registry, seat,
                                 message=t.gettext(exc.message, **exc.params),
                                 status=exc.status, typed=typed)
    # The step may have moved on: swap the whole step, whatever part the form targeted.
    response.headers.update({"HX-Retarget": "#step", "HX-Reswap": "outerHTML"})
    return response


def _participant_action(request: Request, session: SessionDep, t: Translator,
                        registry: RegistryDep, seat: Seat, action: Any,
                        typed: str | None = None) -> Response:
    try:
        action(_seat_framework(session, registry, seat))
    except ServiceError as exc:
        return _refused(request, session, t, registry, seat, exc, typed)
    session.commit()
    request.app.state.live.touch(id_of(seat.workshop))
    if not wants_fragment(request):
        return see_other(f"/w/{seat.workshop.code}")
    return _participant_page(request, session, t, registry, seat,
                             message=t.gettext("Saved"))


@phones.post("/w/{code}/votes/{question_id}")
async def cast_vote(request: Request, lookup: SeatWriteLookup, question_id: str,
                    choice: Text = None) -> Response:
    """A silent vote on the open question; voting again replaces it. htmx gets back only the
    question's choices, marked saved.

    Hundreds of phones vote within seconds: the seat is read, the vote checked and written
    and the answer rendered in one trip to a worker thread, and the answer is shared by
    every phone that voted the same (only its CSRF token is its own). The seat this process
    read for the phone's last vote is checked against again: the one statement that writes
    stores nothing unless the workshop is still open, at that seat's version and the seat
    still there, and a vote it refuses is checked again against the seat read anew."""
    # On the app's own threads for votes: AnyIO's trip to a worker thread costs more than
    # the plain executor's, and a vote is the request that hundreds of phones send at once.
    return await asyncio.get_running_loop().run_in_executor(
        request.app.state.voters, _cast_vote, request, lookup, question_id, choice)


def _cast_vote(request: Request, lookup: SeatLookup, question_id: str, choice: str | None,
               ) -> Response:
    t, registry = translator_for(request), get_registry(request)
    with _own_session(request) as session:
        seat, kept = lookup.read(session, kept=True)
        while True:
            framework = _seat_framework(session, registry, seat)
            try:
                vote = workshops.vote(session, seat.workshop, framework, seat.participant,
                                      question_id, choice)
                break
            except ServiceError as exc:
                if not kept:
                    return _refused(request, session, t, registry, seat, exc)
                session.rollback()  # the seat kept may be out of date: read it again
                lookup.forget()
                seat, kept = lookup.read(session, kept=True)
        session.commit()  # acknowledged below only once committed
    workshop = seat.workshop
    request.app.state.live.touch(id_of(workshop))
    if not wants_fragment(request):
        return see_other(f"/w/{workshop.code}")
    values = {"workshop": workshop, "framework": framework,
              "question": framework.question(question_id)[1], "mine": _mine(vote),
              "vote_saved": True, "csrf_token": _CSRF_SLOT}
    key = ("vote", workshop.code, seat.content_hash, question_id, t.language, values["mine"])
    html = _shared_html(key, lambda: request.app.state.pages.render(
        request, t, "participant.html", values, blocks=["vote"]))
    return HTMLResponse(html.replace(_CSRF_SLOT, request.app.state.pages.csrf_token(request)),
                        headers={"Vary": "HX-Request, Cookie, Accept-Language",
                                 "Content-Language": t.language})


@phones.post("/w/{code}/targets/{factor_id}")
def cast_target_vote(request: Request, session: SessionDep, t: TranslatorDep,
                     registry: RegistryDep, seat: SeatWrite, factor_id: str,
                     level: Text = None) -> Response:
    """A vote for a factor's target stage."""
    return _participant_action(
        request, session, t, registry, seat,
        lambda fw: workshops.target_vote(session, seat.workshop, fw, seat.participant,
                                         factor_id, level))


@phones.post("/w/{code}/needs")
def post_need(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
              seat: SeatWrite, text: Text = None, factor_id: Text = None) -> Response:
    """Post a need, expectation or concern."""
    return _participant_action(
        request, session, t, registry, seat,
        lambda fw: workshops.post_need(session, seat.workshop, fw, seat.participant, text,
                                       factor_id), typed=text)


@phones.post("/w/{code}/needs/{need_id}/dots")
def place_dot(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
              seat: SeatWrite, need_id: PathId, op: Text = None) -> Response:
    """Place one of the participant's dots on a need, or take one back."""
    return _participant_action(
        request, session, t, registry, seat,
        lambda fw: workshops.place_dot(session, seat.workshop, fw, seat.participant, need_id,
                                       add=op != "remove"))
