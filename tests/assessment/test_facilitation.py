"""A workshop's agenda plan, its timer and the time spent, against a real database."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from sqlmodel import Session, SQLModel, select

from assessment import exchange, services, workshops
from assessment.agendas import AgendaLibrary, PlanItem, plan_from_template
from assessment.db import create_db_engine
from assessment.framework import Framework
from assessment.models import Organisation, Workshop, utcnow
from assessment.services import InvalidInput
from assessment.workshops import StepKind
from tests.conftest import FRAMEWORKS
from tests.factories import make_organisation, make_unit

LIBRARY = AgendaLibrary.from_directory(FRAMEWORKS / "agendas")


def make(session: Session, framework: Framework, template: str | None = None) -> Workshop:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät", framework)
    chosen = LIBRARY.get(template)
    plan = plan_from_template(chosen, framework) if chosen else None
    made = workshops.create_workshop(session, round_, unit, by=None, plan=plan)
    session.commit()
    return made


def test_a_needs_template_has_three_steps_and_no_questions(session: Session,
                                                            framework: Framework) -> None:
    workshop = make(session, framework, "needs-and-expectations")
    steps = workshops.workshop_agenda(workshop, framework)
    assert [s.kind for s in steps] == [StepKind.needs, StepKind.needs_vote, StepKind.wrapup]
    assert workshops.timer(workshop, framework).timebox == 25 * 60


def test_dropping_adding_and_reordering_factors(session: Session, framework: Framework) -> None:
    workshop = make(session, framework, "focus-workshop")
    assert not [s for s in workshops.workshop_agenda(workshop, framework)
                if s.kind is StepKind.question]  # the focus workshop's factors are chosen
    listening, goals = framework.factors[4], framework.factors[0]
    workshops.set_plan(session, workshop, framework, [
        PlanItem("needs", 10), PlanItem("factor", 20, listening.id),
        PlanItem("factor", 25, goals.id), PlanItem("targets", 10), PlanItem("wrapup", 5)])
    steps = workshops.workshop_agenda(workshop, framework)
    questions = [s.question_id for s in steps if s.kind is StepKind.question]
    assert questions == [q.id for q in listening.questions] + [q.id for q in goals.questions]
    assert [s.factor_id for s in steps if s.kind is StepKind.target] == [listening.id, goals.id]
    first = steps[1]
    position = workshops.position(framework, first, steps)
    assert position is not None and (position.question, position.questions) == \
        (1, len(listening.questions) + len(goals.questions))
    # The template's notes stay with the plan: the factors' notes for every factor item.
    plan = workshops.plan_of(workshop, framework)
    assert plan.notes_for(plan.items[1]) == plan.notes["factors"] and plan.checklist


@pytest.mark.parametrize(("items", "message"), [
    ([PlanItem("needs", 0)], workshops.TIMEBOX_RANGE),
    ([PlanItem("needs", -3)], workshops.TIMEBOX_RANGE),
    ([PlanItem("needs", 8 * 60 + 1)], workshops.TIMEBOX_RANGE),
    ([], workshops.AGENDA_EMPTY),
    ([PlanItem("targets", 10)], workshops.AGENDA_EMPTY),  # targets of no factor: no step
    ([PlanItem("factor", 10, "no-such-factor")], "Choose factors of the workshop's framework."),
    ([PlanItem("needs", 5), PlanItem("needs", 5)], "Each step can be on the agenda only once."),
    ([PlanItem("coffee", 5)], "There is no such step in the agenda."),
])
def test_a_bad_plan_is_refused_and_nothing_changes(session: Session, framework: Framework,
                                                   items: list[PlanItem], message: str) -> None:
    workshop = make(session, framework, "full-maturity-workshop")
    before, version = workshop.plan, workshop.version
    with pytest.raises(InvalidInput) as caught:
        workshops.set_plan(session, workshop, framework, items)
    assert caught.value.message == message
    assert (workshop.plan, workshop.version) == (before, version)


def test_the_timer_pauses_resumes_adds_a_minute_and_resets(session: Session,
                                                           framework: Framework) -> None:
    workshop = make(session, framework, "full-maturity-workshop")
    idle = workshops.timer(workshop, framework)
    assert (idle.state, idle.left_ms, idle.up) == ("idle", 20 * 60 * 1000, False)
    workshops.change_timer(session, workshop, framework, "start")
    running = workshops.timer(workshop, framework)
    assert running.state == "running" and 20 * 60 * 1000 - 2000 < running.left_ms <= 1_200_000
    workshops.change_timer(session, workshop, framework, "pause")
    paused = workshops.timer(workshop, framework)
    assert paused.state == "paused" and paused.left_ms == 20 * 60 * 1000
    workshops.change_timer(session, workshop, framework, "add")
    assert workshops.timer(workshop, framework).left_ms == 21 * 60 * 1000
    workshops.change_timer(session, workshop, framework, "resume")
    assert workshops.timer(workshop, framework).state == "running"
    # At zero the timer is up: every screen says so, nothing is blocked.
    workshop.timer_ends_at = utcnow() - timedelta(seconds=5)
    over = workshops.timer(workshop, framework)
    assert over.up and over.left_minutes == 0
    workshops.post_need(session, workshop, framework, None, "Mittarit")  # still allowed
    workshops.change_timer(session, workshop, framework, "reset")
    assert not workshops.timer(workshop, framework).up
    with pytest.raises(InvalidInput):
        workshops.change_timer(session, workshop, framework, "explode")


def test_moving_to_another_item_books_its_time_and_starts_the_next_timer(
        session: Session, framework: Framework) -> None:
    workshop = make(session, framework, "full-maturity-workshop")
    workshops.change_timer(session, workshop, framework, "start")
    workshop.item_started_at = utcnow() - timedelta(minutes=23)
    workshops.go_to(session, workshop, framework, 1)
    assert workshops.spent(workshop) == {"needs": 23 * 60}
    timer = workshops.timer(workshop, framework)
    assert timer.state == "running" and timer.timebox == 10 * 60
    first_question = next(s.index for s in workshops.workshop_agenda(workshop, framework)
                          if s.kind is StepKind.question)
    workshop.item_started_at = utcnow() - timedelta(minutes=4)
    workshops.go_to(session, workshop, framework, first_question)
    workshops.go_to(session, workshop, framework, first_question + 1)  # the same factor
    times = workshops.agenda_times(workshop, framework)
    assert [(t.item.key, t.planned // 60) for t in times[:3]] == \
        [("needs", 20), ("needs_vote", 10), (f"factor:{framework.factors[0].id}", 15)]
    assert times[0].actual == 23 * 60 and times[1].actual == 4 * 60
    assert times[2].current and times[2].actual < 5
    assert sum(t.planned for t in times) == 180 * 60
    workshops.close_workshop(session, workshop, framework)
    assert workshop.timer_ends_at is None and f"factor:{framework.factors[0].id}" in \
        workshops.spent(workshop)


def test_the_current_step_stays_when_the_plan_changes_around_it(
        session: Session, framework: Framework) -> None:
    workshop = make(session, framework, "full-maturity-workshop")
    second = framework.factors[1]
    index = next(s.index for s in workshops.workshop_agenda(workshop, framework)
                 if s.question_id == second.questions[1].id)
    workshops.go_to(session, workshop, framework, index)
    plan = workshops.plan_of(workshop, framework)
    kept = [i for i in plan.items if i.factor_id != framework.factors[0].id]
    workshops.set_plan(session, workshop, framework, list(reversed(kept)))
    assert workshops.current_step(workshop, framework).question_id == second.questions[1].id
    assert workshops.timer(workshop, framework).state == "running"
    # Dropping the factor the workshop is in puts it on the first step; the timer stops.
    workshops.set_plan(session, workshop, framework,
                       [i for i in kept if i.factor_id != second.id])
    assert workshop.step_index == 0 and workshops.timer(workshop, framework).state == "idle"


def test_the_plan_goes_through_the_organisations_json(session: Session,
                                                      framework: Framework) -> None:
    workshop = make(session, framework, "focus-workshop")
    workshops.set_plan(session, workshop, framework, [
        PlanItem("needs", 12), PlanItem("factor", 30, framework.factors[3].id),
        PlanItem("wrapup", 7)])
    session.commit()
    organisation = session.get(Organisation, workshop.organisation_id)
    assert organisation is not None
    data = json.loads(exchange.dump_json(exchange.export_organisation(session, organisation)))
    stored = next(w for r in data["rounds"] for w in r["workshops"])
    assert [i["minutes"] for i in stored["plan"]["items"]] == [12, 30, 7]
    engine = create_db_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    bad = copy.deepcopy(data)
    next(w for r in bad["rounds"] for w in r["workshops"])["plan"]["items"][0]["minutes"] = 0
    with Session(engine) as other:
        with pytest.raises(exchange.InvalidImportFile) as caught:
            exchange.import_organisation(other, bad)
        assert any(p.path.endswith(".plan") for p in caught.value.problems)
        other.rollback()
        exchange.import_organisation(other, data)
        other.commit()
        imported = other.exec(select(Workshop)).one()
        assert workshops.plan_of(imported, framework) == workshops.plan_of(workshop, framework)
    engine.dispose()
