"""The demo organisation shows every part of the product: a workshop and a roadmap too."""

from __future__ import annotations

from sqlmodel import Session, select

from assessment import demo, roadmap, workshops
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import Action, Assessment, Unit, Workshop


def test_demo_has_a_finished_workshop_and_a_roadmap(session: Session, framework: Framework,
                                                    registry: FrameworkRegistry) -> None:
    summary = demo.load_demo(session, framework)
    session.commit()
    workshop = session.exec(select(Workshop)).one()
    assert workshop.status == "closed"
    assessment = session.get(Assessment, workshop.assessment_id)
    assert assessment is not None and assessment.status == "submitted"
    votes = workshops.question_votes(session, workshop)
    questions = sum(len(f.questions) for f in framework.factors)
    assert len(votes) == questions and all(len(v) == 6 for v in votes.values())
    ranked = workshops.ranked_needs(session, workshop)
    assert ranked[0].dots > ranked[-1].dots, "the dots rank the needs"

    phases = roadmap.roadmap(session, registry, summary.organisation)
    assert [p.phase.kind for p in phases] == ["needs", "pilot", "wave", "wave"]
    pilot = phases[1]
    pilot_unit = session.exec(select(Unit).where(Unit.name == demo.PILOT_UNIT)).one()
    assert pilot.units[0].unit == pilot_unit and pilot.units[0].targets
    assert pilot.units[0].plan_round != pilot.units[0].latest_round, \
        "a later round measures the pilot against its targets"
    assert pilot.gates and all(g.units == len(pilot.units) for g in pilot.gates)
    actions = list(session.exec(select(Action)))
    assert actions and {a.unit_id for a in actions} == {pilot_unit.id}
    assert {a.status for a in actions} >= {"done", "in_progress", "planned"}
