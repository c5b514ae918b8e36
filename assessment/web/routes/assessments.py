"""The self-assessment questionnaire, submitting and reopening, and the results page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from assessment import accounts, roadmap, services, workshops
from assessment.framework import Factor
from assessment.i18n import Translator
from assessment.models import Assessment, AssessmentKind, Round, User, id_of
from assessment.policy import Action
from assessment.services import AnswerInput, AssessmentView, ServiceError
from assessment.web.access import AssessmentRead, AssessmentWrite, UserDep, may
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.errors import PageError
from assessment.web.htmx import wants_fragment
from assessment.web.pages import see_other
from assessment.web.security import client_address
from reports.results import build_assessment_results, compare, radar_chart_svg

router = APIRouter()


async def read_form(request: Request) -> FormData:
    """The posted form; its field names carry question ids, so they are read dynamically."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]



def _factor_or_404(view: AssessmentView, factor_id: str) -> Factor:
    try:
        return view.framework.factor(factor_id)
    except KeyError:
        raise HTTPException(status_code=404) from None


def _neighbours(view: AssessmentView, factor: Factor) -> tuple[Factor | None, Factor | None]:
    factors = view.framework.factors
    index = factors.index(factor)
    previous = factors[index - 1] if index > 0 else None
    following = factors[index + 1] if index + 1 < len(factors) else None
    return previous, following


def _questionnaire(request: Request, t: Translator, view: AssessmentView, factor: Factor, *,
                   posted: dict[str, dict[str, str]] | None = None,
                   errors: dict[str, str] | None = None, message: str | None = None,
                   status: int = 200) -> Response:
    previous, following = _neighbours(view, factor)
    values: dict[str, Any] = {
        "view": view, "factor": factor, "previous": previous, "following": following,
        "progress": services.progress(view.framework, view.answers), "oob": False,
        "posted": posted or {}, "errors": errors or {}, "message": message,
        **_permissions(request, view),
    }
    return request.app.state.pages.page(request, t, "questionnaire.html", values,
                                        fragment=["questionnaire"], status=status)


def _permissions(request: Request, view: AssessmentView) -> dict[str, bool]:
    """What the viewer may do here, for showing controls (the routes check again)."""
    viewer, org_id = request.state.viewer, view.organisation.id or 0
    return {"can_write": may(viewer, "assessment", Action.write, org_id, view.unit.id),
            "can_open_organisation": may(viewer, "organisation", Action.read, org_id)}


def _answer_input(form: FormData, question_id: str) -> AnswerInput:
    choice = form.get(f"choice-{question_id}")
    note = form.get(f"note-{question_id}")
    return AnswerInput(question_id, choice if isinstance(choice, str) else None,
                       note if isinstance(note, str) else None)


def _posted(inputs: list[AnswerInput]) -> dict[str, dict[str, str]]:
    return {i.question_id: {"choice": i.choice or "", "note": i.note or ""} for i in inputs}


@router.get("/assessments/{assessment_id}")
def open_assessment(session: SessionDep, registry: RegistryDep,
                    assessment: AssessmentRead) -> Response:
    """Continue where the unit left off: the first factor with unanswered questions."""
    view = services.assessment_view(session, registry, assessment)
    if view.locked:
        return see_other(f"/assessments/{assessment.id}/results")
    progress = services.progress(view.framework, view.answers)
    target = next((p.factor_id for p in progress if not p.complete), None)
    if target is None:
        return see_other(f"/assessments/{assessment.id}/review")
    return see_other(f"/assessments/{assessment.id}/factors/{target}")


@router.get("/assessments/{assessment_id}/factors/{factor_id}")
def show_factor(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                assessment: AssessmentRead, factor_id: str) -> Response:
    """One factor's questions, with stage anchors as the choices."""
    view = services.assessment_view(session, registry, assessment)
    return _questionnaire(request, t, view, _factor_or_404(view, factor_id))


def _input_errors(t: Translator, view: AssessmentView,
                  inputs: list[AnswerInput]) -> dict[str, str]:
    """Each invalid answer's message, by question id (empty when all are valid)."""
    errors: dict[str, str] = {}
    for item in inputs:
        try:
            services.parse_answer(view.framework, item)
        except ServiceError as exc:
            errors[item.question_id] = t.gettext(exc.message, **exc.params)
    return errors


@router.post("/assessments/{assessment_id}/factors/{factor_id}")
def save_factor(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                assessment: AssessmentWrite, factor_id: str, form: FormDep) -> Response:
    """Save every answer of one factor (the form that works without JavaScript)."""
    view = services.assessment_view(session, registry, assessment)
    factor = _factor_or_404(view, factor_id)
    inputs = [_answer_input(form, q.id) for q in factor.questions]
    if view.locked:
        return _questionnaire(request, t, view, factor, posted=_posted(inputs),
                              message=t.gettext(services.LOCKED), status=409)
    errors = _input_errors(t, view, inputs)
    if errors:
        return _questionnaire(request, t, view, factor, posted=_posted(inputs), errors=errors,
                              status=422)
    services.save_answers(session, assessment, view.framework, inputs)
    session.commit()
    previous, following = _neighbours(view, factor)
    go = form.get("go")
    if go == "previous" and previous is not None:
        return see_other(f"/assessments/{assessment.id}/factors/{previous.id}")
    if following is None or go == "review":
        return see_other(f"/assessments/{assessment.id}/review")
    return see_other(f"/assessments/{assessment.id}/factors/{following.id}")


@router.post("/assessments/{assessment_id}/answers/{question_id}")
def save_answer(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                assessment: AssessmentWrite, question_id: str, form: FormDep) -> Response:
    """Save one answer as it is given (htmx); the reply updates its status and the progress."""
    view = services.assessment_view(session, registry, assessment)
    try:
        factor, question = view.framework.question(question_id)
    except KeyError:
        # A question the round's framework does not have: bad input, nothing is stored.
        raise PageError(422, services.UNKNOWN_QUESTION) from None
    item = _answer_input(form, question_id)
    try:
        services.save_answers(session, assessment, view.framework, [item])
    except ServiceError as exc:
        session.rollback()
        message = t.gettext(exc.message, **exc.params)
        if not wants_fragment(request):
            view = services.assessment_view(session, registry, assessment)
            return _questionnaire(request, t, view, factor, posted=_posted([item]),
                                  errors={question_id: message}, status=exc.status)
        values = {"question": question, "factor": factor, "error": message, "saved": False,
                  "oob": True, "view": view,
                  "progress": services.progress(view.framework, view.answers)}
        return request.app.state.pages.render(request, t, "questionnaire.html", values,
                                              blocks=["answer_status"], status=exc.status)
    session.commit()
    if not wants_fragment(request):
        return see_other(f"/assessments/{assessment.id}/factors/{factor.id}#q-{question_id}")
    view = services.assessment_view(session, registry, assessment)
    values = {"question": question, "factor": factor, "error": None, "saved": True,
              "oob": True, "view": view,
              "progress": services.progress(view.framework, view.answers)}
    return request.app.state.pages.render(request, t, "questionnaire.html", values,
                                          blocks=["answer_status", "progress"])


def _audit(session: SessionDep, request: Request, user: User, event: str,
           assessment: Assessment) -> None:
    round_ = session.get(Round, assessment.round_id)
    accounts.audit(session, event, user=user, organisation_id=round_.organisation_id if round_
                   else None, address=client_address(request), assessment=assessment.id,
                   unit=assessment.unit_id, round=assessment.round_id)


def _review(request: Request, t: Translator, view: AssessmentView, *,
            message: str | None = None, status: int = 200) -> Response:
    values = {"view": view, "progress": services.progress(view.framework, view.answers),
              "message": message, **_permissions(request, view)}
    return request.app.state.pages.page(request, t, "review.html", values,
                                        fragment=["content"], status=status)


@router.get("/assessments/{assessment_id}/review")
def show_review(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                assessment: AssessmentRead) -> Response:
    """What is answered and what is not, and the submit button."""
    return _review(request, t, services.assessment_view(session, registry, assessment))


@router.post("/assessments/{assessment_id}/submit")
def submit_assessment(request: Request, session: SessionDep, t: TranslatorDep,
                      registry: RegistryDep, assessment: AssessmentWrite,
                      user: UserDep) -> Response:
    """Submit: lock the answers and show the results."""
    try:
        services.submit_assessment(session, assessment)
        _audit(session, request, user, "assessment_submitted", assessment)
    except ServiceError as exc:
        session.rollback()
        view = services.assessment_view(session, registry, assessment)
        return _review(request, t, view, message=t.gettext(exc.message), status=exc.status)
    session.commit()
    return see_other(f"/assessments/{assessment.id}/results")


@router.post("/assessments/{assessment_id}/reopen")
def reopen_assessment(request: Request, session: SessionDep, t: TranslatorDep,
                      registry: RegistryDep, assessment: AssessmentWrite,
                      user: UserDep) -> Response:
    """Reopen a submitted assessment so its answers can change."""
    try:
        services.reopen_assessment(session, assessment)
        _audit(session, request, user, "assessment_reopened", assessment)
    except ServiceError as exc:
        session.rollback()
        view = services.assessment_view(session, registry, assessment)
        return _results(request, session, t, registry, view, message=t.gettext(exc.message),
                        status=exc.status)
    session.commit()
    return see_other(f"/assessments/{assessment.id}")


def _results(request: Request, session: SessionDep, t: Translator, registry: RegistryDep,
             view: AssessmentView, *, message: str | None = None, status: int = 200,
             ) -> Response:
    results = build_assessment_results(view)
    other = services.counterpart(session, view.assessment)
    other_results = (build_assessment_results(services.assessment_view(session, registry, other))
                     if other is not None else None)
    compared = other_results if other_results and other_results.scored and results.scored \
        else None
    by_kind = {r.kind: r for r in (results, compared) if r is not None}
    values = {
        "view": view, "results": results, "radar_svg": radar_chart_svg(results, t, compared),
        "other": other, "comparison": compare(by_kind[AssessmentKind.self],
                                              by_kind[AssessmentKind.workshop])
        if compared else None,
        "needs": [need for w in workshops.workshops_of_assessment(session, view.assessment)
                  for need in workshops.ranked_needs(session, w)],
        "targets": roadmap.targets(session, id_of(view.round), [id_of(view.unit)])[
            id_of(view.unit)],
        "can_read_plan": may(request.state.viewer, "plan", Action.read,
                             view.organisation.id or 0, view.unit.id),
        "message": message, **_permissions(request, view)}
    return request.app.state.pages.page(request, t, "results.html", values,
                                        fragment=["content"], status=status)


@router.get("/assessments/{assessment_id}/results")
def show_results(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                 assessment: AssessmentRead) -> Response:
    """Scores, stages, next steps and the radar chart of one assessment."""
    return _results(request, session, t, registry,
                    services.assessment_view(session, registry, assessment))
