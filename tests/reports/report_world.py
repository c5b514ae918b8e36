"""An organisation with everything a unit report shows, for the report tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from assessment import roadmap, services, workshops
from assessment.framework import Framework
from assessment.models import AssessmentKind, Organisation, Round, Unit
from tests.factories import make_organisation, make_unit

# User text that must come out as text: markup, a script and a remote image.
HOSTILE_NOTE = ('<script>alert(1)</script> <img src="https://example.com/x.png"> '
                '<a href="https://example.com/x">klikkaa</a>')
RATIONALE = "Vuosikello on käytössä, mutta vain viestinnässä."


@dataclass(frozen=True)
class ReportWorld:
    """The ids and names the tests look for."""

    organisation: Organisation
    unit: Unit  # self-assessed and workshopped in both rounds
    other: Unit  # self-assessed in the second round only
    empty: Unit  # no answers at all
    first: Round
    second: Round


def _self_assess(session: Session, framework: Framework, round_: Round, unit: Unit,
                 level: int, notes: dict[str, str] | None = None) -> None:
    assessment = services.get_or_create_assessment(session, round_, unit, AssessmentKind.self)
    inputs = [services.AnswerInput(q.id, str(min(level + i % 2, framework.stage_count)),
                                   (notes or {}).get(q.id))
              for f in framework.factors for i, q in enumerate(f.questions)]
    services.save_answers(session, assessment, framework, inputs)
    services.submit_assessment(session, assessment)


def _workshop(session: Session, framework: Framework, round_: Round, unit: Unit) -> None:
    """Three participants vote on the first factor's questions; the group agrees a consensus
    on the first three factors: the first factor's scores 3, 4, 3, 4 and "don't know" (3.5)."""
    workshop = workshops.create_workshop(session, round_, unit, by=None)
    people = [workshops.join(session, workshop, f"Osallistuja {n}")[0] for n in range(3)]
    steps = {s.question_id: s.index for s in workshops.agenda(framework) if s.question_id}
    first = framework.factors[0]
    for number, question in enumerate(first.questions):
        workshops.go_to(session, workshop, framework, steps[question.id])
        for person, level in zip(people, (1, 3, 4) if number == 0 else (3, 3, 4), strict=True):
            workshops.vote(session, workshop, framework, person, question.id, str(level))
        workshops.set_revealed(session, workshop, framework, question.id, True)
    consensus = ["3", "4", "3", "4", "dont_know"]
    for factor in framework.factors[:3]:
        for number, question in enumerate(factor.questions):
            workshops.record_consensus(session, workshop, framework, question.id,
                                       consensus[number % 5],
                                       RATIONALE if number == 0 else None)


def make_report_world(session: Session, framework: Framework) -> ReportWorld:
    """Two rounds; the unit has a self-assessment in both and a workshop in the second, with
    targets and actions; another unit is measured in the second round; one has nothing."""
    organisation = make_organisation(session, name="Raporttitesti Oy")
    unit = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
    other = make_unit(session, organisation=organisation, name="Markkinointi")
    empty = make_unit(session, organisation=organisation, name="Talous")
    first = services.create_round(session, organisation, "Kevät 2026", framework)
    second = services.create_round(session, organisation, "Syksy 2026", framework)
    _self_assess(session, framework, first, unit, 1)
    _self_assess(session, framework, second, unit, 2,
                 {framework.factors[0].questions[0].id: HOSTILE_NOTE})
    _self_assess(session, framework, second, other, 4)
    _workshop(session, framework, second, unit)
    for factor in framework.factors[:2]:
        roadmap.set_target(session, second, unit, framework, factor.id, "5")
    measured = roadmap.round_scores(session, framework, second, [unit.id or 0])[unit.id or 0]
    roadmap.propose_actions(session, unit, framework, roadmap.gaps(
        framework, measured, roadmap.targets(session, second.id or 0, [unit.id or 0])[
            unit.id or 0]))
    roadmap.add_action(session, unit, framework, framework.factors[0].id, roadmap.ActionInput(
        "Kirjatkaa vuosikello intranetiin <b>heti</b>", "Ulla Yksikkö", "2026-12-01"))
    session.commit()
    return ReportWorld(organisation, unit, other, empty, first, second)
