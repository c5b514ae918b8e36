"""A second, real maturity model (OWASP SAMM 2.0 as a test fixture: 15 practices in five
business functions, levels 0–3) through the domain: answers, scores, a workshop, targets,
gates, actions and the organisation's export → import, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from assessment import exchange, roadmap, services, workshops
from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry, load_framework
from assessment.models import Action, Answer, Gate, Target, metadata
from assessment.services import AnswerInput, InvalidInput
from assessment.workshops import StepKind
from tests.conftest import FIXTURES
from tests.factories import make_organisation, make_unit

SAMM_FILE = FIXTURES / "frameworks" / "owasp-samm.yaml"
FUNCTIONS = ["governance", "design", "implementation", "verification", "operations"]


@pytest.fixture(scope="module")
def samm() -> Framework:
    """The SAMM fixture."""
    return load_framework(SAMM_FILE)


def test_samm_has_five_groups_of_three_practices_and_levels_0_to_3(samm: Framework) -> None:
    assert [g.id for g in samm.groups] == FUNCTIONS
    grouped = samm.factor_groups()
    assert [len(factors) for _group, factors in grouped] == [3] * 5
    assert [f.id for _g, factors in grouped for f in factors] == [f.id for f in samm.factors]
    assert samm.core_factor is None
    assert (samm.first_level, samm.last_level, list(samm.levels)) == (0, 3, [0, 1, 2, 3])
    assert samm.stage_by_level(0).name["en"] == "None"
    assert samm.level_of("mastered") == 3
    assert all(len(f.questions) == 2 for f in samm.factors)
    group = samm.group_of("threat-assessment")
    assert group is not None and group.name["en"] == "Design"
    with pytest.raises(ValueError, match="no stage 4"):
        samm.stage_by_level(4)
    with pytest.raises(ValueError, match="no stage -1"):
        samm.stage_by_level(-1)


def test_answers_score_and_stage_count_from_zero(session: Session, samm: Framework) -> None:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät 2027", samm)
    assessment = services.get_or_create_assessment(session, round_, unit)
    factor = samm.factor("strategy-metrics")
    a, b = (q.id for q in factor.questions)
    services.save_answers(session, assessment, samm, [AnswerInput(a, "0"), AnswerInput(b, "3")])
    session.commit()
    stored = {x.question_id: x.level for x in session.exec(select(Answer))}
    assert stored == {a: 0, b: 3}
    score = next(s for s in services.score_assessment(samm, services.own_answers(
        session, assessment)) if s.factor_id == factor.id)
    # 1.5 is "Initial" (stage 1), not "None": the stage is the score's integer part.
    assert (score.score, score.stage_level) == (Decimal("1.5"), 1)
    assert samm.stage_by_level(score.stage_level).name["en"] == "Initial"
    services.save_answers(session, assessment, samm, [AnswerInput(a, "0"), AnswerInput(b, "0")])
    zero = services.score_assessment(samm, services.own_answers(session, assessment))[0]
    assert (zero.score, zero.stage_level) == (Decimal("0.0"), 0)


@pytest.mark.parametrize("raw", ["-1", "4", "99", "1.5", "none"])
def test_an_answer_outside_0_to_3_is_refused(session: Session, samm: Framework,
                                              raw: str) -> None:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät 2027", samm)
    assessment = services.get_or_create_assessment(session, round_, unit)
    question = samm.factors[0].questions[0].id
    with pytest.raises(InvalidInput) as refused:
        services.save_answers(session, assessment, samm, [AnswerInput(question, raw)])
    assert refused.value.params == {"min": 0, "max": 3}
    assert "{min}–{max}" in refused.value.message


def test_the_default_framework_still_refuses_an_answer_of_zero(
        session: Session, framework: Framework) -> None:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät 2027", framework)
    assessment = services.get_or_create_assessment(session, round_, unit)
    with pytest.raises(InvalidInput) as refused:
        services.save_answers(session, assessment, framework,
                              [AnswerInput(framework.factors[0].questions[0].id, "0")])
    assert refused.value.params == {"min": 1, "max": 5}


def samm_world(session: Session, samm: Framework) -> dict[str, object]:
    """An organisation on SAMM only: two rounds, a finished workshop with level-0 votes and
    consensus, targets from 0, a pilot phase with a gate at 0 and actions from the library."""
    organisation = make_organisation(session, name="Turva Oy")
    unit = make_unit(session, organisation=organisation, name="Kehitys")
    other = make_unit(session, organisation=organisation, name="Ylläpito")
    first = services.create_round(session, organisation, "Syksy 2026", samm)
    second = services.create_round(session, organisation, "Kevät 2027", samm)
    for round_, level in ((first, "0"), (second, "1")):
        for target_unit in (unit, other):
            assessment = services.get_or_create_assessment(session, round_, target_unit)
            services.save_answers(session, assessment, samm, [
                AnswerInput(q.id, level) for f in samm.factors for q in f.questions])
            services.submit_assessment(session, assessment)
    workshop = workshops.create_workshop(session, second, unit, by=None)
    people = [workshops.join(session, workshop, f"P{i}")[0] for i in range(3)]
    steps = workshops.agenda(samm)
    question_step = next(s for s in steps if s.kind is StepKind.question)
    assert question_step.question_id is not None and question_step.factor_id is not None
    workshops.go_to(session, workshop, samm, question_step.index)
    for person, vote in zip(people, ["0", "0", "2"], strict=True):
        workshops.vote(session, workshop, samm, person, question_step.question_id, vote)
    workshops.set_revealed(session, workshop, samm, question_step.question_id, True)
    workshops.record_consensus(session, workshop, samm, question_step.question_id, "0",
                               "Ei vielä tehty")
    target_step = next(s for s in steps if s.kind is StepKind.target)
    assert target_step.factor_id is not None
    workshops.go_to(session, workshop, samm, target_step.index)
    for person in people:
        workshops.target_vote(session, workshop, samm, person, target_step.factor_id, "0")
    workshops.record_target(session, workshop, samm, target_step.factor_id, "2")
    workshops.close_workshop(session, workshop)
    roadmap.set_target(session, second, other, samm, "threat-assessment", "3")
    roadmap.set_target(session, second, other, samm, "secure-build", "0")
    phase = roadmap.create_phase(session, organisation, samm, roadmap.PhaseInput(
        "pilot", "Pilotti", "2027-01-04", "2027-06-30", ("threat-assessment",)))
    roadmap.place_unit(session, phase, other)
    roadmap.set_gate(session, phase, samm, "threat-assessment", "0")
    roadmap.set_gate(session, phase, samm, "secure-build", "3")
    measured = roadmap.round_scores(session, samm, second, [other.id or 0])
    goals = roadmap.targets(session, second.id or 0, [other.id or 0])[other.id or 0]
    roadmap.propose_actions(session, other, samm,
                            roadmap.gaps(samm, measured.get(other.id or 0), goals))
    session.commit()
    return {"organisation": organisation, "unit": unit, "other": other, "round": second,
            "workshop": workshop, "phase": phase}


def test_workshop_targets_gates_and_actions_work_from_level_zero(session: Session,
                                                                samm: Framework) -> None:
    world = samm_world(session, samm)
    workshop = world["workshop"]
    own = session.exec(select(Answer).where(
        Answer.assessment_id == workshop.assessment_id,  # type: ignore[attr-defined]
        Answer.respondent_id == None)).one()  # noqa: E711
    assert (own.level, own.note) == (0, "Ei vielä tehty")
    votes = workshops.question_votes(session, workshop)  # type: ignore[arg-type]
    summary = workshops.summarise(next(iter(votes.values())), samm.stage_count, 1,
                                  samm.first_level)
    assert summary.by_level == (2, 0, 1, 0) and summary.median == Decimal("0")
    assert sorted(t.level for t in session.exec(select(Target))) == [0, 2, 3]
    assert sorted(g.level for g in session.exec(select(Gate))) == [0, 3]
    registry = FrameworkRegistry([samm])
    progress = roadmap.roadmap(session, registry, world["organisation"])  # type: ignore[arg-type]
    gates = {g.gate.factor_id: g for g in progress[0].gates}
    assert gates["threat-assessment"].holds and not gates["secure-build"].holds
    proposed = list(session.exec(select(Action)))
    # Measured at 1 with a target of 3: the steps from "initial" and from "defined".
    assert sorted(a.from_level for a in proposed if a.from_level is not None) == [1, 2]
    assert {a.library_id for a in proposed} == {"threat-assessment-from-initial",
                                                "threat-assessment-from-defined"}


@pytest.mark.parametrize(("setter", "raw"), [("target", "-1"), ("target", "4"),
                                             ("gate", "-1"), ("gate", "4"), ("vote", "4"),
                                             ("vote", "-1")])
def test_targets_gates_and_votes_outside_0_to_3_are_refused(
        session: Session, samm: Framework, setter: str, raw: str) -> None:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät 2027", samm)
    with pytest.raises(InvalidInput) as refused:
        if setter == "target":
            roadmap.set_target(session, round_, unit, samm, "secure-build", raw)
        elif setter == "gate":
            phase = roadmap.create_phase(session, organisation, samm, roadmap.PhaseInput(
                "pilot", "Pilotti", None, None, ()))
            roadmap.set_gate(session, phase, samm, "secure-build", raw)
        else:
            workshop = workshops.create_workshop(session, round_, unit, by=None)
            person = workshops.join(session, workshop, "P")[0]
            step = next(s for s in workshops.agenda(samm) if s.kind is StepKind.target)
            workshops.go_to(session, workshop, samm, step.index)
            workshops.target_vote(session, workshop, samm, person, step.factor_id or "", raw)
    assert refused.value.params == {"min": 0, "max": 3}


@pytest.fixture
def other_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'import.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_export_import_export_keeps_levels_from_zero(session: Session, samm: Framework,
                                                    other_engine: Engine) -> None:
    world = samm_world(session, samm)
    exported = exchange.dump_json(exchange.export_organisation(
        session, world["organisation"]))  # type: ignore[arg-type]
    data = json.loads(exported)
    levels = [a["level"] for r in data["rounds"] for s in r["assessments"]
              for a in s["answers"] if a["choice"] == "level"]
    assert 0 in levels and max(levels) <= 3
    with Session(other_engine, expire_on_commit=False) as target:
        imported = exchange.import_organisation(target, exported)
        target.commit()
        again = exchange.dump_json(exchange.export_organisation(target, imported))
    assert json.loads(again) == data


def test_an_import_with_a_level_outside_the_framework_is_refused(
        session: Session, samm: Framework, other_engine: Engine) -> None:
    world = samm_world(session, samm)
    data = exchange.export_organisation(session, world["organisation"])  # type: ignore[arg-type]
    data = json.loads(exchange.dump_json(data))
    data["rounds"][0]["assessments"][0]["answers"][0]["level"] = 4
    data["phases"][0]["gates"][0]["level"] = 7
    with Session(other_engine) as target, pytest.raises(exchange.InvalidImportFile) as refused:
        exchange.import_organisation(target, data)
    problems = [str(p) for p in refused.value.problems]
    assert any("answers[0].level: level 4 is out of range 0–3" in p for p in problems), problems
    assert any("gates[0].level: level 7 is out of range 0–3" in p for p in problems), problems
