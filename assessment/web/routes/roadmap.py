"""The rollout planner: an organisation's phases (needs, pilot, waves) with their units,
owners and gate criteria, and each phase's targets against the stages measured since."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlmodel import Session
from starlette.responses import Response

from assessment import org_frameworks, roadmap, services
from assessment.framework import Framework, FrameworkRegistry
from assessment.i18n import Translator
from assessment.models import Organisation, Phase, PhaseKind, Round, Unit, id_of
from assessment.policy import Action
from assessment.services import N_, InvalidInput, ServiceError
from assessment.web.access import PhaseWrite, RoadmapRead, RoadmapWrite, may
from assessment.web.deps import RegistryDep, SessionDep, TranslatorDep
from assessment.web.pages import empty_form, failed_form, see_other
from reports.needs_report import needs_results
from reports.roadmap_report import UNITS_PER_RADAR, PhaseScores, kind_title, phase_scores

router = APIRouter()
Text = Annotated[str | None, Form()]
Many = Annotated[list[str], Form()]


def page_framework(session: Session, registry: FrameworkRegistry,
                   organisation: Organisation) -> Framework:
    """The framework the planner speaks: the one the organisation chose for its roadmap,
    else the newest round's, else the default framework."""
    return org_frameworks.roadmap_framework(session, registry, organisation)


def _latest_measured(session: Session, registry: FrameworkRegistry, rounds: list[Round],
                     unit_ids: list[int]) -> dict[int, Round]:
    # For the unplanned units: the latest round each has a measurement in.
    latest: dict[int, Round] = {}
    if not unit_ids:
        return latest
    for round_ in rounds:
        framework = services.round_framework(session, registry, round_)[0]
        for unit_id in roadmap.round_scores(session, framework, round_, unit_ids):
            latest[unit_id] = round_
    return latest


def _phase_scores(t: Translator, framework: Framework,
                  phases: list[roadmap.PhaseProgress]) -> dict[int, PhaseScores]:
    # Each phase's measured units at their latest scores, on a radar when they fit one.
    waves = iter(range(1, len(phases) + 1))
    return {id_of(item.phase): phase_scores(t, framework, item, kind_title(
        t, item.phase.kind, next(waves) if item.phase.kind == PhaseKind.wave else None,
        item.phase.name)) for item in phases}


def _roadmap_page(request: Request, session: Session, t: Translator,
                  registry: FrameworkRegistry, organisation: Organisation, *,
                  form: dict[str, Any] | None = None, status: int = 200) -> Response:
    org_id = id_of(organisation)
    viewer = request.state.viewer
    choice = org_frameworks.roadmap_choice(session, registry, organisation)
    rounds = list(choice.rounds)  # the rounds on the roadmap's framework
    unplanned = roadmap.unplanned_units(session, organisation)
    tree = services.unit_tree(session, organisation)
    framework = choice.framework
    phases = roadmap.roadmap(session, registry, organisation, choice.id)
    values = {
        "organisation": organisation,
        "framework": framework,
        "frameworks_offered": org_frameworks.offered(session, registry, organisation),
        "framework_chosen": organisation.roadmap_framework_id is not None,
        "rounds": rounds,
        "phases": phases,
        "phase_scores": _phase_scores(t, framework, phases),
        "units_per_radar": UNITS_PER_RADAR,
        "unplanned": unplanned,
        "unplanned_measured": _latest_measured(session, registry, rounds,
                                               [id_of(u) for u in unplanned]),
        "tree": tree,
        "kinds": list(PhaseKind),
        "can_write": may(viewer, "roadmap", Action.write, org_id),
        "can_open_organisation": may(viewer, "organisation", Action.read, org_id),
        "can_build_report": may(viewer, "roadmap_report", Action.write, org_id),
        "form": form or {"scope": "", **empty_form()},
        "needs_results": needs_results(session, organisation),
    }
    return request.app.state.pages.page(request, t, "roadmap.html", values,
                                        fragment=["content"], status=status)


def _organisation(session: Session, phase: Phase) -> Organisation:
    organisation = session.get(Organisation, phase.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    return organisation


def _attempt(request: Request, session: Session, t: Translator, registry: FrameworkRegistry,
             organisation: Organisation, change: Callable[[], Any], *, scope: str,
             values: dict[str, Any], anchor: str | Callable[[Any], str]) -> Response:
    """Make the change and go back to the roadmap at `anchor` (or the anchor made from the
    change's result), or re-show the page with the message next to the field of the form
    (`scope`) that was sent, keeping the values typed."""
    org_id = id_of(organisation)
    try:
        result = change()
    except ServiceError as exc:
        session.rollback()
        form = {"scope": scope, **failed_form(t, exc, values)}
        form["values"].update({k: v for k, v in values.items() if isinstance(v, list)})
        return _roadmap_page(request, session, t, registry, organisation, form=form,
                             status=exc.status)
    session.commit()
    target = anchor(result) if callable(anchor) else anchor
    return see_other(f"/organisations/{org_id}/roadmap#{target}")


def _phase_attempt(request: Request, session: Session, t: Translator,
                   registry: FrameworkRegistry, phase: Phase, change: Callable[[], Any],
                   values: dict[str, Any], *, scope: str = "phase", section: str = "",
                   ) -> Response:
    """`_attempt` of a change to a phase: its form is `<scope>-<phase id>`, and the page goes
    back to the phase (or to its `section`: "-owners", "-gates")."""
    return _attempt(request, session, t, registry, _organisation(session, phase), change,
                    scope=f"{scope}-{phase.id}", values=values,
                    anchor=f"phase-{phase.id}{section}")


def _number(raw: str | None) -> int:
    # Anything that is not an id names nothing (-1): the service refuses it with a message.
    return services.parse_id(raw) or -1


def _step(raw: str | None) -> int:
    step = _number(raw)
    if step not in (-1, 1):
        raise InvalidInput(N_("Move it one place earlier or later."), field="step")
    return step


def _unit(session: Session, raw: str | None) -> Unit:
    unit = session.get(Unit, _number(raw))
    if unit is None:
        raise InvalidInput(N_("Choose one of the organisation's units."), field="unit_id")
    return unit


@router.get("/organisations/{organisation_id}/roadmap")
def show_roadmap(request: Request, session: SessionDep, t: TranslatorDep,
                 registry: RegistryDep, organisation: RoadmapRead) -> Response:
    """The organisation's rollout phases, planned against achieved, and its unplanned units."""
    return _roadmap_page(request, session, t, registry, organisation)


@router.post("/organisations/{organisation_id}/roadmap/phases")
def create_phase(request: Request, session: SessionDep, t: TranslatorDep,
                 registry: RegistryDep, organisation: RoadmapWrite, kind: Text = None,
                 name: Text = None, starts_on: Text = None, ends_on: Text = None,
                 focus: Many = [], notes: Text = None) -> Response:  # noqa: B006 (form default)
    """Add a phase at the end of its kind."""
    data = roadmap.PhaseInput(kind, name, starts_on, ends_on, focus, notes)

    def change() -> Phase:
        framework = org_frameworks.keep_roadmap_framework(session, registry, organisation)
        return roadmap.create_phase(session, organisation, framework, data)

    return _attempt(request, session, t, registry, organisation, change, scope="new",
                    values={"kind": kind, "name": name, "starts_on": starts_on,
                            "ends_on": ends_on, "notes": notes, "focus": focus},
                    anchor=lambda phase: f"phase-{phase.id}")


@router.post("/phases/{phase_id}")
def update_phase(request: Request, session: SessionDep, t: TranslatorDep,
                 registry: RegistryDep, phase: PhaseWrite, kind: Text = None,
                 name: Text = None, starts_on: Text = None, ends_on: Text = None,
                 focus: Many = [], notes: Text = None) -> Response:  # noqa: B006 (form default)
    """Change a phase's kind, name, time window, focus factors or notes."""
    organisation = _organisation(session, phase)
    data = roadmap.PhaseInput(kind, name, starts_on, ends_on, focus, notes)

    def change() -> None:
        framework = page_framework(session, registry, organisation)
        roadmap.update_phase(session, phase, framework, data)

    return _attempt(request, session, t, registry, organisation, change,
                    scope=f"edit-{phase.id}",
                    values={"kind": kind, "name": name, "starts_on": starts_on,
                            "ends_on": ends_on, "notes": notes, "focus": focus},
                    anchor=f"phase-{phase.id}")


@router.post("/phases/{phase_id}/delete")
def delete_phase(session: SessionDep, phase: PhaseWrite) -> Response:
    """Delete a phase with its owners and gates; its units become unplanned."""
    org_id = phase.organisation_id
    roadmap.delete_phase(session, phase)
    session.commit()
    return see_other(f"/organisations/{org_id}/roadmap#phases")


@router.post("/phases/{phase_id}/move")
def move_phase(request: Request, session: SessionDep, t: TranslatorDep,
               registry: RegistryDep, phase: PhaseWrite, step: Text = None) -> Response:
    """Move a wave one place earlier (-1) or later (+1)."""
    return _phase_attempt(request, session, t, registry, phase,
                          lambda: roadmap.move_phase(session, phase, _step(step)),
                          {"step": step})


@router.post("/phases/{phase_id}/units")
def place_unit(request: Request, session: SessionDep, t: TranslatorDep,
               registry: RegistryDep, phase: PhaseWrite, unit_id: Text = None) -> Response:
    """Put a unit in the phase (it leaves any other phase)."""
    return _phase_attempt(request, session, t, registry, phase,
                          lambda: roadmap.place_unit(session, phase, _unit(session, unit_id)),
                          {"unit_id": unit_id}, scope="unit")


@router.post("/phases/{phase_id}/units/remove")
def remove_unit(request: Request, session: SessionDep, t: TranslatorDep,
                registry: RegistryDep, phase: PhaseWrite, unit_id: Text = None) -> Response:
    """Take a unit out of the phase (back to unplanned)."""
    return _phase_attempt(request, session, t, registry, phase,
                          lambda: roadmap.remove_unit(session, phase, _number(unit_id)),
                          {"unit_id": unit_id})


@router.post("/phases/{phase_id}/units/move")
def move_unit(request: Request, session: SessionDep, t: TranslatorDep,
              registry: RegistryDep, phase: PhaseWrite, unit_id: Text = None,
              step: Text = None) -> Response:
    """Move a unit one place earlier or later within the phase."""
    return _phase_attempt(request, session, t, registry, phase,
                          lambda: roadmap.move_unit(session, phase, _number(unit_id), _step(step)),
                          {"unit_id": unit_id, "step": step})


@router.post("/phases/{phase_id}/owners")
def add_owner(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
              phase: PhaseWrite, owner_name: Text = None, owner_role: Text = None) -> Response:
    """Name a person and their role in the phase."""
    return _phase_attempt(request, session, t, registry, phase,
                          lambda: roadmap.add_owner(session, phase, owner_name, owner_role),
                          {"owner_name": owner_name, "owner_role": owner_role},
                          scope="owner", section="-owners")


@router.post("/phases/{phase_id}/owners/remove")
def remove_owner(request: Request, session: SessionDep, t: TranslatorDep,
                 registry: RegistryDep, phase: PhaseWrite, owner_id: Text = None) -> Response:
    """Take an owner off the phase."""
    return _phase_attempt(request, session, t, registry, phase,
                          lambda: roadmap.remove_owner(session, phase, _number(owner_id)),
                          {"owner_id": owner_id}, section="-owners")


@router.post("/phases/{phase_id}/gates")
def set_gate(request: Request, session: SessionDep, t: TranslatorDep, registry: RegistryDep,
             phase: PhaseWrite, gate_factor: Text = None, gate_level: Text = None) -> Response:
    """Require every unit of the phase to reach a stage on a factor before the next phase."""
    organisation = _organisation(session, phase)

    def change() -> None:
        framework = org_frameworks.keep_roadmap_framework(session, registry, organisation)
        roadmap.set_gate(session, phase, framework, gate_factor, gate_level)

    return _attempt(request, session, t, registry, organisation, change,
                    scope=f"gate-{phase.id}",
                    values={"gate_factor": gate_factor, "gate_level": gate_level},
                    anchor=f"phase-{phase.id}-gates")


@router.post("/phases/{phase_id}/gates/remove")
def remove_gate(request: Request, session: SessionDep, t: TranslatorDep,
                registry: RegistryDep, phase: PhaseWrite, gate_id: Text = None) -> Response:
    """Drop a gate criterion."""
    return _phase_attempt(request, session, t, registry, phase,
                          lambda: roadmap.remove_gate(session, phase, _number(gate_id)),
                          {"gate_id": gate_id}, section="-gates")


@router.post("/organisations/{organisation_id}/roadmap/framework")
def choose_roadmap_framework(request: Request, session: SessionDep, t: TranslatorDep,
                             registry: RegistryDep, organisation: RoadmapWrite,
                             roadmap_framework: Text = None) -> Response:
    """Choose the framework the roadmap, its gates and targets speak."""
    return _attempt(request, session, t, registry, organisation,
                    lambda: org_frameworks.set_roadmap_framework(
                        session, registry, organisation, roadmap_framework),
                    scope="framework", values={"roadmap_framework": roadmap_framework},
                    anchor="framework")
