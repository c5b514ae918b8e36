"""The roadmap: measured scores, targets and gaps, phases, actions, planned vs achieved."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from assessment import roadmap, services, workshops
from assessment.framework import Framework, FrameworkRegistry
from assessment.models import Action, Organisation, PhaseUnit, Round, Target, Unit
from assessment.roadmap import ActionInput, PhaseInput
from tests.factories import make_organisation, make_unit


def answer_all(session: Session, round_: Round, unit: Unit, framework: Framework,
               level: int, *, only: str | None = None) -> None:
    assessment = services.get_or_create_assessment(session, round_, unit)
    services.save_answers(session, assessment, framework, [
        services.AnswerInput(q.id, str(level)) for f in framework.factors
        for q in f.questions if only is None or f.id == only])
    session.commit()


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def organisation(session: Session) -> Organisation:
    return make_organisation(session)


def phase_input(kind: str, name: str, **changes: object) -> PhaseInput:
    values: dict[str, object] = {"kind": kind, "name": name, "starts_on": "2027-01-01",
                                 "ends_on": "2027-03-31", "focus": []}
    values.update(changes)
    return PhaseInput(**values)  # type: ignore[arg-type]


def test_measured_scores_take_the_workshop_consensus_per_factor(
        session: Session, framework: Framework, organisation: Organisation) -> None:
    alone, together, silent = (make_unit(session, organisation=organisation, name=n)
                               for n in ("Yksin", "Yhdessä", "Hiljainen"))
    round_ = services.create_round(session, organisation, "Kevät", framework)
    answer_all(session, round_, alone, framework, 2)
    answer_all(session, round_, together, framework, 2)
    workshop = workshops.create_workshop(session, round_, together, by=None)
    factor = framework.factors[0]
    for question in factor.questions:
        workshops.record_consensus(session, workshop, framework, question.id, "4", "")
    services.get_or_create_assessment(session, round_, silent)
    session.commit()

    measured = roadmap.round_scores(session, framework, round_)
    assert set(measured) == {alone.id, together.id}, "a unit without answers is not measured"
    assert measured[alone.id].kind == "self" and measured[alone.id].stage(factor.id) == 2
    assert measured[together.id].kind == "workshop"
    assert measured[together.id].stage(factor.id) == 4
    # A workshop that scored one factor does not hide the self-assessment of the others.
    assert measured[together.id].source(factor.id) == "workshop"
    for other in framework.factors[1:]:
        assert measured[together.id].stage(other.id) == 2, other.id
        assert measured[together.id].source(other.id) == "self", other.id
    assert {measured[alone.id].source(f.id) for f in framework.factors} == {"self"}


def test_measuring_a_round_takes_the_same_queries_for_any_number_of_units(
        session: Session, framework: Framework, organisation: Organisation) -> None:
    round_ = services.create_round(session, organisation, "Kevät", framework)
    for i in range(2):
        answer_all(session, round_, make_unit(session, organisation=organisation,
                                              name=f"A{i}"), framework, 3)
    with counted(session) as few:
        assert len(roadmap.round_scores(session, framework, round_)) == 2
    for i in range(10):
        answer_all(session, round_, make_unit(session, organisation=organisation,
                                              name=f"B{i}"), framework, 3)
    with counted(session) as many:
        assert len(roadmap.round_scores(session, framework, round_)) == 12
    assert len(many) == len(few) == 2


def test_targets_by_hand_and_gaps(session: Session, framework: Framework,
                                  organisation: Organisation) -> None:
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät", framework)
    answer_all(session, round_, unit, framework, 2)
    first, second, third = (f.id for f in framework.factors[:3])
    roadmap.set_target(session, round_, unit, framework, first, "4")
    roadmap.set_target(session, round_, unit, framework, second, "1")
    roadmap.set_target(session, round_, unit, framework, third, "3")
    roadmap.set_target(session, round_, unit, framework, third, "")
    for factor, level in [(first, "6"), (first, "x"), ("no-such-factor", "3")]:
        with pytest.raises(services.InvalidInput):
            roadmap.set_target(session, round_, unit, framework, factor, level)
    session.commit()
    assert {t.factor_id: (t.level, t.source) for t in session.exec(select(Target))} == {
        first: (4, "manual"), second: (1, "manual")}

    unit_targets = roadmap.targets(session, round_.id or 0, [unit.id or 0])[unit.id or 0]
    measured = roadmap.round_scores(session, framework, round_)[unit.id or 0]
    by_factor = {g.factor_id: g for g in roadmap.gaps(framework, measured, unit_targets)}
    assert (by_factor[first].current, by_factor[first].target, by_factor[first].gap) == (2, 4, 2)
    assert by_factor[second].gap == 0, "a target below the current stage is already reached"
    assert by_factor[third].gap is None


def test_actions_are_proposed_for_each_transition_once(session: Session, framework: Framework,
                                                       organisation: Organisation) -> None:
    unit = make_unit(session, organisation=organisation)
    factor = framework.factors[1]
    gap = roadmap.FactorGap(factor.id, None, 2, 4)
    added = roadmap.propose_actions(session, unit, framework, [gap])
    expected = [a.id for a in factor.actions if a.from_stage in (
        framework.stage_by_level(2).id, framework.stage_by_level(3).id)]
    assert [a.library_id for a in added] == expected and len(expected) >= 2
    assert roadmap.propose_actions(session, unit, framework, [gap]) == []
    first = added[0]
    proposal = next(a for a in factor.actions if a.id == first.library_id)
    assert roadmap.action_text(first, framework, "en") == proposal.text["en"]
    assert roadmap.action_text(first, framework, "fi") == proposal.text["fi"]

    roadmap.update_action(session, first, ActionInput("Oma <b>sanamuoto</b>", "Mia, viestintä",
                                                      "2027-02-15", "in_progress"))
    assert roadmap.action_text(first, framework, "en") == "Oma <b>sanamuoto</b>"
    assert (first.owner, str(first.due_on), first.status) == ("Mia, viestintä", "2027-02-15",
                                                              "in_progress")
    session.commit()
    for bad in [ActionInput("", "", None), ActionInput("x" * 1001, "", None),
                ActionInput("Hyvä", "", "15.2.2027"), ActionInput("Hyvä", "", None, "lost")]:
        with pytest.raises(services.InvalidInput):
            roadmap.update_action(session, first, bad)
    session.rollback()
    own = roadmap.add_action(session, unit, framework, factor.id,
                             ActionInput("Perustetaan sometiimi", "Tiimi", None))
    assert own.library_id is None and own.position > 0
    roadmap.delete_action(session, own)
    session.commit()
    assert len(list(session.exec(select(Action)))) == len(expected)


def test_phases_follow_the_rollout_rules(session: Session, framework: Framework,
                                         organisation: Organisation) -> None:
    focus = [framework.factors[3].id, framework.factors[4].id]
    wave1 = roadmap.create_phase(session, organisation, framework, phase_input("wave", "Aalto 1"))
    pilot = roadmap.create_phase(session, organisation, framework,
                                 phase_input("pilot", "Pilotti", focus=list(reversed(focus))))
    needs = roadmap.create_phase(session, organisation, framework,
                                 phase_input("needs", "Tarpeet ja odotukset"))
    wave2 = roadmap.create_phase(session, organisation, framework, phase_input("wave", "Aalto 2"))
    assert roadmap.phases(session, organisation) == [needs, pilot, wave1, wave2]
    assert pilot.focus == ",".join(focus), "focus factors are kept in framework order"
    roadmap.move_phase(session, wave2, -1)
    assert roadmap.phases(session, organisation) == [needs, pilot, wave2, wave1]
    with pytest.raises(services.Conflict):
        roadmap.move_phase(session, pilot, -1)

    bad = [(phase_input("pilot", "Toinen pilotti"), services.Conflict, "kind"),
           (phase_input("wave", "A", starts_on="2027-05-01", ends_on="2027-04-01"),
            services.InvalidInput, "ends_on"),
           (phase_input("wave", "A", starts_on="1.5.2027"), services.InvalidInput, "starts_on"),
           (phase_input("wave", "A", focus=["no-such-factor"]), services.InvalidInput, "focus"),
           (phase_input("sideways", "A"), services.InvalidInput, "kind"),
           (phase_input("wave", "  "), services.InvalidInput, "name")]
    for data, error, field in bad:
        with pytest.raises(error) as raised:
            roadmap.create_phase(session, organisation, framework, data)
        assert raised.value.field == field
    assert len(roadmap.phases(session, organisation)) == 4

    with pytest.raises(services.InvalidInput) as missing:
        roadmap.add_owner(session, pilot, "Mia Virtanen", "")
    assert missing.value.field == "owner_role"
    with pytest.raises(services.InvalidInput):
        roadmap.set_gate(session, pilot, framework, "no-such-factor", "3")
    owner = roadmap.add_owner(session, pilot, "Mia Virtanen", "Yhteisömanageri")
    gate = roadmap.set_gate(session, pilot, framework, focus[0], "3")
    assert roadmap.set_gate(session, pilot, framework, focus[0], "4").id == gate.id

    first, second = (make_unit(session, organisation=organisation, name=n) for n in "AB")
    roadmap.place_unit(session, pilot, first)
    roadmap.place_unit(session, pilot, second)
    roadmap.place_unit(session, wave1, first)  # a unit sits in one phase: it moves
    assert {r.unit_id: r.phase_id for r in session.exec(select(PhaseUnit))} == {
        first.id: wave1.id, second.id: pilot.id}
    assert roadmap.unplanned_units(session, organisation) == []
    roadmap.remove_unit(session, pilot, second.id or 0)
    assert roadmap.unplanned_units(session, organisation) == [second]
    stranger = make_unit(session, organisation=make_organisation(session, name="Muu Oy"))
    with pytest.raises(services.InvalidInput):
        roadmap.place_unit(session, pilot, stranger)

    roadmap.delete_phase(session, pilot)
    session.commit()
    assert roadmap.phases(session, organisation) == [needs, wave2, wave1]
    assert session.get(type(owner), owner.id) is None


def test_planned_vs_achieved_and_gates(session: Session, framework: Framework,
                                       registry: FrameworkRegistry,
                                       organisation: Organisation) -> None:
    factor = framework.factors[4].id
    pilot_unit, other = (make_unit(session, organisation=organisation, name=n)
                         for n in ("Asiakaspalvelu", "Markkinointi"))
    pilot = roadmap.create_phase(session, organisation, framework,
                                 phase_input("pilot", "Pilotti", focus=[factor]))
    roadmap.place_unit(session, pilot, pilot_unit)
    roadmap.place_unit(session, pilot, other)
    roadmap.set_gate(session, pilot, framework, factor, "3")
    spring = services.create_round(session, organisation, "Kevät", framework)
    for unit in (pilot_unit, other):
        answer_all(session, spring, unit, framework, 2)
        roadmap.set_target(session, spring, unit, framework, factor, "3")
    session.commit()

    (before,) = roadmap.roadmap(session, registry, organisation)
    assert [u.unit.name for u in before.units] == ["Asiakaspalvelu", "Markkinointi"]
    assert before.units[0].targets == {factor: 3}
    assert before.units[0].latest_round == spring and before.units[0].plan_round == spring
    assert (before.gates[0].reached, before.gates[0].units, before.gates[0].holds) == (0, 2, False)

    autumn = services.create_round(session, organisation, "Syksy", framework)
    answer_all(session, autumn, pilot_unit, framework, 3)
    session.commit()
    (middle,) = roadmap.roadmap(session, registry, organisation)
    assert middle.units[0].latest_round == autumn and middle.units[0].plan_round == spring
    assert middle.units[0].baseline is not None and middle.units[0].latest is not None
    assert middle.units[0].baseline.stage(factor) == 2 and middle.units[0].latest.stage(factor) == 3
    assert middle.gates[0].reached == 1 and not middle.gates[0].holds

    answer_all(session, autumn, other, framework, 4, only=factor)
    (after,) = roadmap.roadmap(session, registry, organisation)
    assert after.gates[0].holds and after.focus == [factor]
