"""The pre-workshop survey: the consultant's page, the respondents' phones, and what the
workshop's console and projector show of it (the survey's distribution, focus mode, prompts)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from assessment import prompts, services, survey, workshops
from assessment.framework import Framework
from assessment.i18n import Translator
from assessment.models import Survey, SurveyStatus, Workshop, id_of
from assessment.policy import Action
from assessment.services import ServiceError
from assessment.web.access import (
    Public,
    PublicWrite,
    SurveyRead,
    SurveyWrite,
    UserDep,
    WorkshopCreate,
    WorkshopWrite,
    may,
)
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep, get_registry, translator_for
from assessment.web.pages import safe_next, see_other
from assessment.web.routes.assessments import FormDep
from assessment.web.security import client_address

router = APIRouter()
RESPONDENT_COOKIE_PREFIX = "sr"
RESPONDENT_COOKIE_SECONDS = 60 * 24 * 3600  # until long after any survey closes


def respondent_cookie(item: Survey) -> str:
    """The name of the cookie that holds a respondent's token for one survey."""
    return f"{RESPONDENT_COOKIE_PREFIX}{item.id}"


def _min_votes(request: Request) -> int:
    minimum: int = request.app.state.settings.workshop_min_votes
    return minimum


def survey_url(request: Request, item: Survey) -> str:
    """The survey's link as phones reach it: under the public URL when one is set."""
    public: str | None = request.app.state.settings.public_url
    if public:
        return f"{public.rstrip('/')}/s/{item.code}"
    return str(request.url_for("show_survey_form", survey_code=item.code))


# Consultant ------------------------------------------------------------------------------

@router.post("/rounds/{round_id}/units/{unit_id}/survey")
def open_survey(session: SessionDep, target: WorkshopCreate, user: UserDep) -> Response:
    """Open (or reopen) the unit's pre-workshop survey in the round."""
    item = survey.open_survey(session, target.round, target.unit, by=user)
    session.commit()
    return see_other(f"/surveys/{item.id}")


@router.get("/surveys/{survey_id}")
def show_survey(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                item: SurveyRead) -> Response:
    """The survey for the consultant: its link and QR code, how many answered, each
    question's distribution (above the anonymity minimum) and what focus mode would skip."""
    # Imported here: the workshop routes import this module for their screens.
    from assessment.web.routes.workshops import _qr_svg  # the same QR drawing, cached

    framework = services.framework_of_round(session, registry, item.round_id)
    found = survey.votes(session, item)
    minimum = _min_votes(request)
    proposals = survey.agreed(framework, found, minimum)
    url = survey_url(request, item)
    values = {
        "survey": item, "framework": framework, "url": url, "qr_svg": _qr_svg(url),
        "round": session.get(services.Round, item.round_id),
        "unit": session.get(services.Unit, item.unit_id),
        "respondents": survey.respondent_count(session, item),
        "summaries": {q.id: workshops.summarise(found.get(q.id, []), framework.stage_count,
                                                minimum)
                      for f in framework.factors for q in f.questions},
        "proposals": proposals, "min_votes": minimum,
        "focus_factors": len({f.id for f in framework.factors for q in f.questions
                              if q.id in proposals}),
        "can_run": _may_run(request, item),
    }
    return request.app.state.pages.page(request, t, "survey.html", values, fragment=["content"])


def _may_run(request: Request, item: Survey) -> bool:
    return may(request.state.viewer, "workshop", Action.write, item.organisation_id)


@router.post("/surveys/{survey_id}/close")
def close_survey(session: SessionDep, item: SurveyWrite,
                 next: Annotated[str | None, Form()] = None) -> Response:
    """Close the survey: the answers are kept, no more are taken. Back to `next` (the
    workshop console closes it too), or the survey's page."""
    survey.close_survey(session, item)
    session.commit()
    return see_other(safe_next(next, f"/surveys/{item.id}"))


@router.post("/surveys/{survey_id}/open")
def reopen_survey(session: SessionDep, item: SurveyWrite,
                  next: Annotated[str | None, Form()] = None) -> Response:
    """Open a closed survey again."""
    round_ = session.get(services.Round, item.round_id)
    unit = session.get(services.Unit, item.unit_id)
    assert round_ is not None and unit is not None  # guaranteed by the foreign keys
    survey.open_survey(session, round_, unit, by=None)
    session.commit()
    return see_other(safe_next(next, f"/surveys/{item.id}"))


# Respondents -----------------------------------------------------------------------------

def _survey_or_404(session: Session, code: str) -> Survey:
    item = survey.by_code(session, code)
    if item is None:
        raise HTTPException(status_code=404)
    return item


def _respond_page(request: Request, session: Session, t: Translator, item: Survey,
                  framework: Framework, factor_id: str | None, *, mine: dict[str, str],
                  message: str | None = None, status: int = 200, done: bool = False,
                  ) -> Response:
    factor = next((f for f in framework.factors if f.id == factor_id), framework.factors[0])
    index = framework.factors.index(factor)
    following = framework.factors[index + 1] if index + 1 < len(framework.factors) else None
    unit = session.get(services.Unit, item.unit_id)
    values = {"survey": item, "framework": framework, "factor": factor, "index": index,
              "following": following, "mine": mine, "message": message, "done": done,
              "closed": item.status != SurveyStatus.open, "unit": unit,
              "answered": {f.id: sum(1 for q in f.questions if q.id in mine)
                           for f in framework.factors}}
    response = request.app.state.pages.page(request, t, "survey_respond.html", values,
                                            fragment=["content"], status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _own(session: Session, item: Survey, request: Request) -> dict[str, str]:
    """The answers of the browser's respondent (none for a new or a forged key)."""
    try:
        found = survey.respondent_for(session, item, request.cookies.get(respondent_cookie(item)))
    except survey.ForgedKey:
        return {}
    return survey.my_answers(session, item, found) if found else {}


@router.get("/s/{survey_code}")
def show_survey_form(request: Request, session: SessionDep, t: TranslatorDep,
                     registry: RegistryDep, _: Public, survey_code: str,
                     factor: str | None = None, done: str | None = None) -> Response:
    """The survey on a phone: one factor's questions at a time, with the answers already
    given; no account, and nothing stored until the first answer is sent."""
    item = _survey_or_404(session, survey_code)
    framework = services.framework_of_round(session, registry, item.round_id)
    return _respond_page(request, session, t, item, framework, factor,
                         mine=_own(session, item, request), done=done == "1")


def _inputs(form: FormData) -> list[services.AnswerInput]:
    """The answers in a posted survey form: a field `q-<question id>` per question."""
    return [services.AnswerInput(name[2:], value or None)
            for name, value in form.multi_items()
            if name.startswith("q-") and isinstance(value, str)]


@router.post("/s/{survey_code}")
def answer_survey(request: Request, _: PublicWrite, survey_code: str,
                  form: FormDep) -> Response:
    """Save one factor's answers and go on to the next factor (or the thank-you). The first
    answers start a respondent, whose token the browser keeps to come back and change them.
    Refused, with nothing stored: a closed survey, an unknown question or choice, a key that
    is not this survey's, too many new respondents from one address."""
    return _answer(request, survey_code, form)


def _answer(request: Request, survey_code: str, form: FormData) -> Response:
    t, registry = translator_for(request), get_registry(request)
    settings = request.app.state.settings
    factor_id = form.get("factor")
    factor_id = factor_id if isinstance(factor_id, str) else None
    inputs = _inputs(form)
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        item = _survey_or_404(session, survey_code)
        framework = services.framework_of_round(session, registry, item.round_id)
        token = None
        try:
            if item.status != SurveyStatus.open:
                raise services.Conflict(survey.SURVEY_CLOSED)
            for entry in inputs:  # checked before a respondent is started
                services.parse_answer(framework, entry, workshop=True)
            respondent = survey.respondent_for(session, item,
                                               request.cookies.get(respondent_cookie(item)))
            if respondent is None:
                respondent, token = survey.start(
                    session, item, client_address(request),
                    limit=settings.workshop_joins_per_address,
                    window=timedelta(minutes=settings.workshop_join_window_minutes))
            survey.answer(session, item, framework, respondent, inputs)
        except ServiceError as exc:
            session.rollback()
            sent = {entry.question_id: entry.choice or "" for entry in inputs}
            response = _respond_page(request, session, t, item, framework, factor_id,
                                     mine={k: v for k, v in sent.items() if v},
                                     message=t.gettext(exc.message, **exc.params),
                                     status=exc.status)
            if isinstance(exc, survey.ForgedKey):  # let the next answer start afresh
                response.delete_cookie(respondent_cookie(item), path="/")
            return response
        session.commit()
    ids = [f.id for f in framework.factors]
    index = ids.index(factor_id) if factor_id in ids else -1
    following = ids[index + 1] if 0 <= index < len(ids) - 1 else None
    response = see_other(f"/s/{item.code}?factor={following}" if following
                         else f"/s/{item.code}?done=1")
    if token is not None:
        response.set_cookie(respondent_cookie(item), token, max_age=RESPONDENT_COOKIE_SECONDS,
                            httponly=True, samesite="lax",
                            secure=request.url.scheme == "https", path="/")
    return response


# In the workshop -------------------------------------------------------------------------

def workshop_values(session: Session, workshop: Workshop, framework: Framework,
                    values: dict[str, Any], min_votes: int) -> None:
    """Add what the console and the projector show of the pre-survey and the prompts for
    the current step: the survey's distribution of the question, the prompts (divergence
    prompts after a reveal whose votes diverge), the prompt on the projector, and in focus
    mode what it saved and the confirmation step's proposals."""
    step, question = values["step"], values["question"]
    item = survey.survey_of_workshop(session, workshop)
    presurvey = None
    if item is not None and question is not None:
        found = survey.votes(session, item, [question.id]).get(question.id, [])
        presurvey = workshops.summarise(found, framework.stage_count, min_votes)
    spread = prompts.spread_of(values.get("summary"), values.get("revealed", False))
    shown = prompts.question_prompts(framework, question.id, spread) if question else []
    values.update(
        survey_item=item, presurvey=presurvey, prompts=shown,
        projected=prompts.resolve(framework, workshop.prompt, step.question_id, spread),
        focus=survey.focus_saving(workshop, framework),
        proposals=survey.proposals_for(session, workshop, framework, step.factor_id, min_votes)
        if step.kind is workshops.StepKind.confirm and step.factor_id else [])


def digest_part(values: dict[str, Any]) -> str:
    """What the pre-survey and prompt values add to a polled screen's digest."""
    projected = values.get("projected")
    shown = (values.get("presurvey"), projected.key if projected else None,
             [(qid, level, s) for qid, level, s in values.get("proposals", ())])
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


def _facilitator(request: Request, session: Session, t: Translator, registry: RegistryDep,
                 workshop: Workshop, action: Any) -> Response:
    # Imported here: the workshop routes import this module for their screens.
    from assessment.web.routes.workshops import _console

    try:
        action(services.framework_of_round(session, registry, workshop.round_id))
    except ServiceError as exc:
        session.rollback()
        return _console(request, session, t, registry, workshop,
                        message=t.gettext(exc.message, **exc.params), status=exc.status)
    session.commit()
    return see_other(f"/workshops/{workshop.id}")


@router.post("/workshops/{workshop_id}/prompt")
def project_prompt(request: Request, session: SessionDep, t: TranslatorDep,
                   registry: RegistryDep, workshop: WorkshopWrite,
                   prompt: Annotated[str | None, Form()] = None) -> Response:
    """Put one of the current question's prompts on the projector, or take it off (empty)."""
    def choose(framework: Framework) -> None:
        workshops._require_open(workshop)
        summary, revealed = _current_votes(session, workshop, framework, _min_votes(request))
        step = workshops.current_step(workshop, framework)
        workshop.prompt = prompts.checked_key(framework, prompt, step.question_id,
                                              prompts.spread_of(summary, revealed))
        workshops._bump(session, workshop)
        session.flush()

    return _facilitator(request, session, t, registry, workshop, choose)


def _current_votes(session: Session, workshop: Workshop, framework: Framework,
                   min_votes: int) -> tuple[workshops.VoteSummary | None, bool]:
    step = workshops.current_step(workshop, framework)
    if step.question_id is None:
        return None, False
    found = workshops.question_votes(session, workshop, [step.question_id]).get(
        step.question_id, [])
    return (workshops.summarise(found, framework.stage_count, min_votes),
            workshops.is_revealed(session, workshop, step.question_id))


@router.post("/workshops/{workshop_id}/confirm")
def confirm_factor(request: Request, workshop: WorkshopWrite, form: FormDep) -> Response:
    """Focus mode: record in one step the consensus of a factor's questions that the
    pre-survey agreed on (the proposed stage of each, or the one the facilitator chose)."""
    return _confirm(request, workshop, form)


def _confirm(request: Request, workshop: Workshop, form: FormData) -> Response:
    t, registry = translator_for(request), get_registry(request)
    factor_id = form.get("factor_id")
    levels = {name[6:]: value for name, value in form.multi_items()
              if name.startswith("level-") and isinstance(value, str)}
    with Session(request.app.state.engine, expire_on_commit=False) as session:
        row = session.get(Workshop, id_of(workshop))
        assert row is not None  # loaded by the access rule
        rationale = t.gettext("Agreed in the pre-workshop survey; confirmed in the workshop.")
        return _facilitator(request, session, t, registry, row, lambda fw: survey.confirm_factor(
            session, row, fw, factor_id if isinstance(factor_id, str) else "", levels,
            rationale))
