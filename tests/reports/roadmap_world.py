"""An organisation with a rollout roadmap, for the roadmap report tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from assessment import roadmap, services
from assessment.framework import Framework
from assessment.models import ActionStatus, Organisation, Phase, Round, Unit
from tests.factories import make_organisation, make_unit

# User text that must come out as text: markup and remote URLs.
HOSTILE_OWNER = '<b>Omistaja</b> <img src="https://example.com/o.png">'
HOSTILE_ACTION = ('Julkaiskaa ohjeet <img src="https://example.com/x.png"> '
                  '<a href="https://example.com/x">intranetiin</a>')
WAVE_UNITS = 6  # one more than a radar tells apart


@dataclass(frozen=True)
class RoadmapWorld:
    """The rows the tests look for."""

    organisation: Organisation
    pilot: Unit  # targets in the first round, measured in both
    phone: Unit  # the pilot's second unit, measured in the second round only
    wave: list[Unit]
    unplanned: Unit  # in no phase, never measured
    first: Round
    second: Round
    phases: list[Phase]  # needs, the pilot, the wave, a wave without dates


def _self_assess(session: Session, framework: Framework, round_: Round, unit: Unit,
                 level: int, *, measurement: int | None = None) -> None:
    """Every question at `level` (measuring and analysing at `measurement`), every other one
    a stage higher: 0.4 above on five questions."""
    assessment = services.get_or_create_assessment(session, round_, unit)
    services.save_answers(session, assessment, framework, [
        services.AnswerInput(q.id, str(min(
            (measurement if measurement and f.id == "measurement" else level) + i % 2,
            framework.stage_count)))
        for f in framework.factors for i, q in enumerate(f.questions)])
    services.submit_assessment(session, assessment)


def _phase(session: Session, organisation: Organisation, framework: Framework, kind: str,
           name: str, starts: str | None, ends: str | None, focus: list[str]) -> Phase:
    return roadmap.create_phase(session, organisation, framework, roadmap.PhaseInput(
        kind, name, starts, ends, focus, "Tavoitteet sovitaan <i>ohjausryhmässä</i>."))


def make_roadmap_world(session: Session, framework: Framework) -> RoadmapWorld:
    """Two rounds; a pilot of two units with targets, owners, a gate and actions; a wave of
    six measured units; a wave without dates; and a unit in no phase."""
    organisation = make_organisation(session, name="Tiekarttatesti Oy")
    pilot = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
    phone = make_unit(session, organisation=organisation, name="Puhelinpalvelu")
    wave = [make_unit(session, organisation=organisation, name=f"Myynti {n}")
            for n in range(1, WAVE_UNITS + 1)]
    unplanned = make_unit(session, organisation=organisation, name="Talous")
    first = services.create_round(session, organisation, "Kevät 2026", framework)
    second = services.create_round(session, organisation, "Syksy 2026", framework)
    _self_assess(session, framework, first, pilot, 2)
    _self_assess(session, framework, second, pilot, 3)
    _self_assess(session, framework, second, phone, 2)
    for number, unit in enumerate(wave):
        _self_assess(session, framework, second, unit, 2 + number % 3, measurement=1)

    roadmap.set_target(session, first, pilot, framework, "ownership", "4")
    roadmap.set_target(session, first, pilot, framework, "listening", "3")
    needs = _phase(session, organisation, framework, "needs", "Tarpeet ja odotukset",
                   "2026-01-12", "2026-02-27", [])
    roadmap.add_owner(session, needs, "Kalle Konsultti", "Työpajojen vetäjä")
    pilot_phase = _phase(session, organisation, framework, "pilot", "Asiakaspalvelun pilotti",
                         "2026-03-02", "2026-08-28", ["ownership", "listening"])
    for unit in (pilot, phone):
        roadmap.place_unit(session, pilot_phase, unit)
    roadmap.add_owner(session, pilot_phase, "Ulla Yksikkö", "Pilotin omistaja")
    roadmap.add_owner(session, pilot_phase, HOSTILE_OWNER, "Yhteisömanageri")
    roadmap.set_gate(session, pilot_phase, framework, "listening", "3")
    wave_phase = _phase(session, organisation, framework, "wave", "Myynnin aalto",
                        "2026-09-01", "2027-02-26", [])
    for unit in wave:
        roadmap.place_unit(session, wave_phase, unit)
    undated = _phase(session, organisation, framework, "wave", "Aalto ilman päiviä", None,
                     None, [])

    measured = roadmap.round_scores(session, framework, first, [pilot.id or 0])
    proposed = roadmap.propose_actions(session, pilot, framework, roadmap.gaps(
        framework, measured.get(pilot.id or 0),
        roadmap.targets(session, first.id or 0, [pilot.id or 0])[pilot.id or 0]))
    proposed[0].status = ActionStatus.dropped
    session.add(proposed[0])
    own = roadmap.add_action(session, pilot, framework, "listening", roadmap.ActionInput(
        HOSTILE_ACTION, HOSTILE_OWNER, "2026-11-23", "done"))
    assert own.status == ActionStatus.done
    session.commit()
    return RoadmapWorld(organisation, pilot, phone, wave, unplanned, first, second,
                        [needs, pilot_phase, wave_phase, undated])
