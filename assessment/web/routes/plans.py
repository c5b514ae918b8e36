"""A unit's plan: targets per factor, the gaps to them, and the actions that close them."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from assessment import accounts, org_frameworks, roadmap, services
from assessment.framework import Framework
from assessment.i18n import Translator
from assessment.models import Action as PlannedAction
from assessment.models import ActionStatus, Round, Unit, id_of
from assessment.policy import Action
from assessment.services import ServiceError
from assessment.web.access import (
    PlannedActionWrite,
    PlanRead,
    PlanWrite,
    TargetsWrite,
    UserDep,
    may,
)
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.pages import see_other
from assessment.web.routes.assessments import read_form
from assessment.web.security import client_address

router = APIRouter()
Form = Annotated[FormData, Depends(read_form)]


def _round_of(session: SessionDep, unit: Unit, raw: str | int | None) -> Round | None:
    """The round asked for (it must be the unit's organisation's), else the latest one."""
    organisation = session.get(services.Organisation, unit.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    rounds = services.list_rounds(session, organisation)
    if raw is None or raw == "":
        return rounds[-1] if rounds else None
    chosen = next((r for r in rounds if str(r.id) == str(raw)), None)
    if chosen is None:
        raise HTTPException(status_code=404)
    return chosen


def _plan(request: Request, session: SessionDep, t: Translator, registry: RegistryDep,
          unit: Unit, round_: Round | None, *, errors: dict[str, dict[str, str]] | None = None,
          posted: dict[str, dict[str, str]] | None = None, status: int = 200) -> Response:
    organisation = session.get(services.Organisation, unit.organisation_id)
    assert organisation is not None
    framework: Framework | None = None
    rounds = services.list_rounds(session, organisation)
    # Targets are per round, so a round decides the framework: with rounds on several
    # frameworks, each option names its framework.
    options = org_frameworks.choices(session, registry, organisation, rounds)
    names = {choice.id: t.text(choice.framework.name) for choice in options}
    values: dict[str, Any] = {
        "unit": unit, "organisation": organisation, "round": round_,
        "rounds": rounds, "errors": errors or {},
        "round_frameworks": {rid: names[fid] for rid, fid in
                             org_frameworks.framework_ids(session, rounds).items()}
        if len(options) > 1 else {},
        "posted": posted or {}, "status_labels": {
            ActionStatus.planned.value: t.gettext("Planned"),
            ActionStatus.in_progress.value: t.gettext("In progress"),
            ActionStatus.done.value: t.gettext("Done"),
            ActionStatus.dropped.value: t.gettext("Dropped")},
        "can_write": may(request.state.viewer, "plan", Action.write, unit.organisation_id,
                         unit.id),
        "can_open_organisation": may(request.state.viewer, "organisation", Action.read,
                                     unit.organisation_id),
    }
    if round_ is not None:
        framework = services.round_framework(session, registry, round_)[0]
        measured = roadmap.round_scores(session, framework, round_, [id_of(unit)]).get(
            id_of(unit))
        unit_targets = roadmap.targets(session, id_of(round_), [id_of(unit)])[id_of(unit)]
        grouped: dict[str, list[PlannedAction]] = defaultdict(list)
        versions = registry.versions(framework.id)
        for planned in roadmap.actions(session, unit.organisation_id, [id_of(unit)]):
            # Only this framework's actions: another framework's belong to its own rounds,
            # also when the two share a factor id.
            if roadmap.belongs_to(planned, framework, versions):
                grouped[planned.factor_id].append(planned)
        values.update(
            framework=framework, measured=measured,
            gaps=list(zip(framework.factors, roadmap.gaps(framework, measured, unit_targets),
                          strict=True)),
            actions=grouped,
            action_text=lambda a: roadmap.action_text(a, framework, t.language, versions))
    return request.app.state.pages.page(request, t, "plan.html", values, fragment=["content"],
                                        status=status)


def _plan_url(unit_id: int, round_id: int | None, anchor: str = "") -> str:
    query = f"?round={round_id}" if round_id else ""
    return f"/units/{unit_id}/plan{query}{'#' + anchor if anchor else ''}"


@router.get("/units/{unit_id}/plan")
def show_plan(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
              unit: PlanRead, chosen: Annotated[str | None, Query(alias="round")] = None,
              ) -> Response:
    """The unit's targets, gaps and actions for a round (the latest unless one is chosen)."""
    return _plan(request, session, t, registry, unit, _round_of(session, unit, chosen))


@router.post("/rounds/{round_id}/units/{unit_id}/targets")
def save_targets(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
                 target: TargetsWrite, form: Form) -> Response:
    """Set the unit's target stage per factor by hand (empty: no target)."""
    framework = services.round_framework(session, registry, target.round)[0]
    posted = {f"target-{f.id}": str(form.get(f"target-{f.id}") or "") for f in framework.factors}
    try:
        for factor in framework.factors:
            if f"target-{factor.id}" in form:
                roadmap.set_target(session, target.round, target.unit, framework, factor.id,
                                   posted[f"target-{factor.id}"])
    except ServiceError as exc:
        session.rollback()
        message = t.gettext(exc.message, **exc.params)
        return _plan(request, session, t, registry, target.unit, target.round,
                     errors={"targets": {exc.field or "": message}},
                     posted={"targets": posted}, status=exc.status)
    session.commit()
    return see_other(_plan_url(id_of(target.unit), target.round.id, "targets"))


@router.post("/rounds/{round_id}/units/{unit_id}/actions/propose")
def propose_actions(session: SessionDep, registry: RegistryDep, target: TargetsWrite) -> Response:
    """Add the framework's actions for every stage between each factor's stage and target."""
    framework = services.round_framework(session, registry, target.round)[0]
    unit_id = id_of(target.unit)
    measured = roadmap.round_scores(session, framework, target.round, [unit_id]).get(unit_id)
    unit_targets = roadmap.targets(session, id_of(target.round), [unit_id])[unit_id]
    roadmap.propose_actions(session, target.unit, framework,
                            roadmap.gaps(framework, measured, unit_targets))
    session.commit()
    return see_other(_plan_url(unit_id, target.round.id, "actions"))


def _action_input(form: FormData) -> roadmap.ActionInput:
    def text(name: str) -> str | None:
        value = form.get(name)
        return value if isinstance(value, str) else None

    return roadmap.ActionInput(text("text"), text("owner"), text("due_on"), text("status"))


def _posted_action(form: FormData) -> dict[str, str]:
    return {k: str(form.get(k) or "") for k in ("text", "owner", "due_on", "status",
                                                 "factor_id")}


def _action_failed(request: Request, session: SessionDep, t: Translator, registry: RegistryDep,
                   unit: Unit, form: FormData, key: str, exc: ServiceError) -> Response:
    session.rollback()
    try:
        round_ = _round_of(session, unit, str(form.get("round") or ""))
    except HTTPException:  # the form's own problem is the one to show; any round will do
        round_ = _round_of(session, unit, None)
    message = t.gettext(exc.message, **exc.params)
    return _plan(request, session, t, registry, unit, round_,
                 errors={key: {exc.field or "text": message}},
                 posted={key: _posted_action(form)}, status=exc.status)


@router.post("/units/{unit_id}/actions")
def add_action(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
               unit: PlanWrite, form: Form) -> Response:
    """Write a new action for one of the unit's factors."""
    round_ = _round_of(session, unit, str(form.get("round") or ""))
    factor_id = str(form.get("factor_id") or "")
    try:
        if round_ is None:
            raise services.Conflict(services.N_("Start a round before planning actions."))
        framework = services.round_framework(session, registry, round_)[0]
        roadmap.add_action(session, unit, framework, factor_id, _action_input(form))
    except ServiceError as exc:
        return _action_failed(request, session, t, registry, unit, form, f"new-{factor_id}",
                              exc)
    session.commit()
    return see_other(_plan_url(id_of(unit), round_.id, f"factor-{factor_id}"))


@router.post("/actions/{action_id}")
def update_action(request: Request, session: SessionDep, t: TranslatorDep,
                  registry: RegistryDep, planned: PlannedActionWrite, user: UserDep,
                  form: Form) -> Response:
    """Change an action's text, owner, due date or status."""
    unit = session.get(Unit, planned.unit_id)
    assert unit is not None  # guaranteed by the foreign key
    before = {"text": planned.text, "owner": planned.owner, "due_on": str(planned.due_on or ""),
              "status": str(planned.status)}
    try:
        roadmap.update_action(session, planned, _action_input(form))
    except ServiceError as exc:
        return _action_failed(request, session, t, registry, unit, form,
                              f"action-{planned.id}", exc)
    after = {"text": planned.text, "owner": planned.owner, "due_on": str(planned.due_on or ""),
             "status": str(planned.status)}
    changes = {k: f"{before[k]} → {after[k]}" for k in before if before[k] != after[k]}
    if changes:
        accounts.audit(session, "action_updated", user=user,
                       organisation_id=planned.organisation_id,
                       address=client_address(request), action=planned.id,
                       unit=planned.unit_id, via="web", **changes)
    session.commit()
    return see_other(_plan_url(planned.unit_id, _round_id(form), f"action-{planned.id}"))


@router.post("/actions/{action_id}/delete")
def delete_action(session: SessionDep, planned: PlannedActionWrite, form: Form) -> Response:
    """Remove an action (the page asks first)."""
    unit_id, factor_id = planned.unit_id, planned.factor_id
    roadmap.delete_action(session, planned)
    session.commit()
    return see_other(_plan_url(unit_id, _round_id(form), f"factor-{factor_id}"))


def _round_id(form: FormData) -> int | None:
    return services.parse_id(form.get("round"))
