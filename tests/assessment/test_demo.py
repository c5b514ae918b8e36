"""The demo organisation shows every part of the product: a workshop and a roadmap too."""

from __future__ import annotations

from sqlmodel import Session, select

from assessment import demo, roadmap, services, workshops
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import Action, Answer, Assessment, Unit, Workshop


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


def test_demo_newest_round_uses_the_current_version_and_older_ones_the_earlier(
        session: Session, registry: FrameworkRegistry) -> None:
    current = registry.get("some-maturity")
    earlier = registry.earlier(current)
    assert earlier is not None and earlier.version < current.version
    summary = demo.load_demo(session, current, earlier=earlier)
    rounds = services.list_rounds(session, summary.organisation)
    versions = [services.round_framework(session, registry, r)[0].version for r in rounds]
    assert versions == [earlier.version] * (len(rounds) - 1) + [current.version]
    newest = services.round_framework(session, registry, rounds[-1])[0]
    answered = session.exec(select(Answer).join(Assessment).where(
        Assessment.round_id == rounds[-1].id)).all()
    allowed = {q.id for f in newest.factors for q in f.questions if q.not_applicable}
    assert {a.question_id for a in answered if a.choice == "not_applicable"} <= allowed
    # The roadmap's actions were proposed from the earlier version: they keep its texts when
    # read against the current one, whose action ids never collide with them.
    versions_known = registry.versions(current.id)
    for action in session.exec(select(Action)):
        text = roadmap.action_text(action, current, "fi", versions_known)
        assert text and text != action.library_id
        assert roadmap.library_action(action, current) is None
