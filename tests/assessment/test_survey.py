"""The pre-workshop survey's domain, focus agendas and discussion prompts (no web layer)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from assessment import demo, exchange, prompts, services, survey, workshops
from assessment.db import create_db_engine
from assessment.framework import Framework, FrameworkRegistry, load_framework, parse_framework
from assessment.models import (
    Answer,
    AssessmentKind,
    Organisation,
    Round,
    SurveyStatus,
    Unit,
    metadata,
)
from assessment.roadmap import round_scores
from assessment.workshops import StepKind
from tests.assessment.test_framework import SMALL, problems, small_data
from tests.conftest import FRAMEWORKS
from tests.factories import make_organisation, make_unit

L = "level"


@pytest.mark.parametrize(("answers", "expected"), [
    ([(L, 3), (L, 4), (L, 3)], 3),  # three answers one stage apart: agreed on the median
    ([(L, 3), (L, 4), (L, 4), (L, 3)], 4),  # median 3.5 rounds half up
    ([(L, 3), (L, 3), (L, 3), ("dont_know", None)], 3),  # "don't know" is not a stage
    ([(L, 3), (L, 3)], None),  # fewer than the minimum
    ([(L, 3), (L, 3), ("dont_know", None)], None),  # fewer than the minimum with a stage
    ([(L, 2), (L, 3), (L, 4)], None),  # two stages apart
    ([(L, 1), (L, 5), (L, 3), (L, 3)], None),
])
def test_the_survey_agrees_with_enough_answers_at_most_one_stage_apart(
        framework: Framework, answers: list[tuple[str, int | None]],
        expected: int | None) -> None:
    question = framework.factors[0].questions[0].id
    found = survey.agreed(framework, {question: answers}, 3)
    assert found.get(question) == expected


def test_a_focus_agenda_confirms_skipped_questions_per_factor(framework: Framework) -> None:
    first, second = framework.factors[0], framework.factors[1]
    skip = frozenset({first.questions[0].id, first.questions[3].id, second.questions[4].id})
    for per_factor in (False, True):
        full = workshops.agenda(framework, targets_per_factor=per_factor)
        steps = workshops.agenda(framework, targets_per_factor=per_factor, skip=skip)
        assert len(full) - len(steps) == 3 - 2
        assert [s.index for s in steps] == list(range(len(steps)))
        assert not skip & {s.question_id for s in steps}
        kinds = [(s.kind, s.factor_id) for s in steps[2:5]]
        assert kinds == [(StepKind.confirm, first.id), (StepKind.question, first.id),
                         (StepKind.question, first.id)]
        assert sum(s.kind is StepKind.confirm for s in steps) == 2
        confirm = next(s for s in steps if s.kind is StepKind.confirm and s.factor_id == second.id)
        assert steps[confirm.index + 1].question_id == second.questions[0].id


def test_a_focus_workshop_knows_its_step_and_what_it_saved(session: Session,
                                                           framework: Framework) -> None:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät", framework)
    skip = [q.id for q in framework.factors[2].questions]
    workshop = workshops.create_workshop(session, round_, unit, by=None, skip=skip)
    steps = workshops.workshop_agenda(workshop, framework)
    for step in steps:
        workshops.go_to(session, workshop, framework, step.index)
        assert workshops.current_step(workshop, framework) == step
    saving = survey.focus_saving(workshop, framework)
    assert saving is not None and (saving.questions, saving.confirm_steps) == (5, 1)
    assert saving.steps_saved == 4 == len(workshops.agenda(framework)) - len(steps)
    plain = workshops.create_workshop(session, round_, unit, by=None, another=True)
    assert survey.focus_saving(plain, framework) is None
    # Moving the targets keeps the workshop on its step, in focus mode too.
    confirm = next(s for s in steps if s.kind is StepKind.confirm)
    workshops.go_to(session, workshop, framework, confirm.index)
    workshops.change_settings(session, workshop, framework, dots=3, targets_per_factor=True)
    assert workshops.current_step(workshop, framework).kind is StepKind.confirm


def test_survey_answers_stay_out_of_the_units_results(session: Session,
                                                      framework: Framework) -> None:
    organisation = make_organisation(session)
    unit = make_unit(session, organisation=organisation)
    round_ = services.create_round(session, organisation, "Kevät", framework)
    item = survey.open_survey(session, round_, unit, by=None)
    assessment = session.get(services.Assessment, item.assessment_id)
    assert assessment is not None and assessment.kind == AssessmentKind.survey
    for level in ("2", "3", "3"):
        respondent, token = survey.start(session, item, "10.0.0.1", limit=10,
                                         window=timedelta(minutes=10))
        assert survey.respondent_for(session, item, token) == respondent
        survey.answer(session, item, framework, respondent, [
            services.AnswerInput(q.id, level) for q in framework.factors[0].questions])
    session.commit()
    assert survey.respondent_count(session, item) == 3
    assert len(survey.agreed(framework, survey.votes(session, item), 3)) == 5
    assert services.own_answers(session, assessment) == {}
    assert round_scores(session, framework, round_) == {}  # nothing measured
    # Closing keeps the answers and refuses new ones.
    survey.close_survey(session, item)
    assert item.status == SurveyStatus.closed
    with pytest.raises(services.Conflict):
        survey.start(session, item, "10.0.0.2", limit=10, window=timedelta(minutes=10))
    respondent = session.exec(select(survey.SurveyRespondent)).first()
    assert respondent is not None
    with pytest.raises(services.Conflict):
        survey.answer(session, item, framework, respondent,
                      [services.AnswerInput(framework.factors[1].questions[0].id, "4")])
    with pytest.raises(survey.ForgedKey):
        survey.respondent_for(session, item, "not-a-token")
    assert len(session.exec(select(Answer)).all()) == 15


# Prompts --------------------------------------------------------------------------------

def test_question_prompts_fill_the_divergence_with_the_stages(framework: Framework) -> None:
    question = framework.factors[0].questions[0]
    plain = prompts.question_prompts(framework, question.id)
    assert [p.kind for p in plain] == ["question", "factor", "factor"]
    diverging = prompts.question_prompts(framework, question.id, prompts.Spread(2, 4, 3))
    texts = [p.text for p in diverging if p.kind == "divergence"]
    assert texts[0] == {"fi": "Mitä pitäisi olla totta, jotta olisimme tasolla 4 (Integroitu)?",
                        "en": "What would have to be true for us to be at stage 4 (Integrated)?"}
    assert "2 (Ad hoc)" in texts[1]["en"] and "3 (Planned)" in texts[3]["en"]
    key = diverging[-1].key
    assert prompts.resolve(framework, key, question.id, prompts.Spread(2, 4, 3)) is not None
    assert prompts.resolve(framework, key, question.id, None) is None  # no longer divergent
    assert prompts.resolve(framework, key, framework.factors[0].questions[1].id,
                           prompts.Spread(2, 4, 3)) is None  # another question
    with pytest.raises(services.InvalidInput):
        prompts.checked_key(framework, "q:nothing:0", question.id, None)
    assert prompts.checked_key(framework, "", question.id, None) is None


def summary(by_level: tuple[int, ...], hidden: bool = False) -> Any:
    levels = [(L, i) for i, n in enumerate(by_level, start=1) for _ in range(n)]
    return workshops.summarise(levels, len(by_level), 100 if hidden else 1)


def test_only_revealed_diverging_votes_offer_divergence_prompts() -> None:
    assert prompts.spread_of(summary((1, 0, 2, 0, 0)), True) == prompts.Spread(1, 3, 3)
    assert prompts.spread_of(summary((1, 0, 2, 0, 0)), False) is None
    assert prompts.spread_of(summary((0, 2, 2, 0, 0)), True) is None  # one stage apart
    assert prompts.spread_of(summary((1, 0, 2, 0, 0), hidden=True), True) is None


def test_prompt_fields_are_optional_and_keep_the_hash_at_their_default() -> None:
    plain = load_framework(SMALL)
    assert "prompts" not in plain.canonical_json()
    data = small_data()
    data["factors"][0]["prompts"] = [{"fi": "Miksi?", "en": "Why?"}]
    data["factors"][0]["questions"][0]["prompts"] = [{"fi": "Kuka?", "en": "Who?"}]
    data["divergence_prompts"] = [{"fi": "Tasolla {high}?", "en": "At stage {high}?"}]
    fw = parse_framework(data, SMALL)
    assert fw.content_hash() != plain.content_hash()
    assert fw.factors[0].prompts[0]["en"] == "Why?"


def test_bad_prompts_are_reported_with_their_path() -> None:
    data = small_data()
    data["divergence_prompts"] = [{"fi": "Tasolla {top}?", "en": "At stage {high"},
                                  {"fi": "Hyvä {low}", "en": "Good {low}"}]
    data["factors"][1]["questions"][0]["prompts"] = [{"fi": "Vain suomeksi"}]
    found = problems(data)
    assert "divergence_prompts[0].fi: unknown placeholder '{top}'; use {low}, {high} or " \
           "{median}" in found
    assert "divergence_prompts[0].en: unbalanced braces: write {low}, {high} or {median}" in found
    assert "factors[1].questions[0].prompts[0]: missing translation 'en'" in found
    assert not any(p.startswith("divergence_prompts[1]") for p in found)


def test_the_default_framework_has_prompts_for_every_factor_and_question() -> None:
    shipped = load_framework(FRAMEWORKS / "some-maturity.yaml")
    assert len(shipped.divergence_prompts) >= 3
    assert any("{high}" in p["en"] for p in shipped.divergence_prompts)
    for factor in shipped.factors:
        assert len(factor.prompts) >= 2, factor.id
        for question in factor.questions:
            assert question.prompts, question.id
            for text in question.prompts:
                assert set(text) == {"fi", "en"}
                assert text["fi"].rstrip().endswith(("?", ".")), text


# The demo organisation and the export -----------------------------------------------------

@pytest.fixture(scope="module")
def demo_db(registry: FrameworkRegistry) -> Iterator[tuple[Session, Organisation]]:
    """The demo organisation in an in-memory database (its newest round on 2026.2)."""
    engine = create_db_engine("sqlite://")
    metadata.create_all(engine)
    framework = registry.get("some-maturity")
    with Session(engine, expire_on_commit=False) as session:
        organisation = demo.load_demo(session, framework,
                                      earlier=registry.earlier(framework)).organisation
        session.commit()
        yield session, organisation
    engine.dispose()


def test_focus_mode_on_the_demo_organisation(demo_db: tuple[Session, Organisation],
                                             framework: Framework) -> None:
    """The figures the README gives for the demo: the survey of Myynti in the newest round."""
    session, organisation = demo_db
    latest = session.exec(select(Round).where(Round.organisation_id == organisation.id)
                          .order_by(col(Round.id).desc())).first()
    unit = session.exec(select(Unit).where(Unit.organisation_id == organisation.id,
                                           Unit.name == demo.SURVEY_UNIT)).one()
    assert latest is not None
    item = survey.survey_of(session, latest.id or 0, unit.id or 0)
    assert item is not None and item.status == SurveyStatus.closed
    assert survey.respondent_count(session, item) == demo.SURVEY_RESPONDENTS == 7
    skip = survey.focus_questions(session, latest, unit, framework, 3)
    factors = {f.id for f in framework.factors for q in f.questions if q.id in skip}
    full, focused = workshops.agenda(framework), workshops.agenda(framework,
                                                                  skip=frozenset(skip))
    assert (len(skip), len(factors), len(full), len(focused)) == (25, 7, 51, 33)


def test_surveys_stay_out_of_the_export_and_an_import_refuses_one(
        demo_db: tuple[Session, Organisation]) -> None:
    session, organisation = demo_db
    data = exchange.export_organisation(session, organisation)
    kinds = {a["kind"] for r in data["rounds"] for a in r["assessments"]}
    assert kinds == {"self", "workshop"}
    forged = json.loads(exchange.dump_json(data))
    forged["rounds"][0]["assessments"][0]["kind"] = "survey"
    engine = create_db_engine("sqlite://")
    metadata.create_all(engine)
    with Session(engine) as other, pytest.raises(exchange.InvalidImportFile) as caught:
        exchange.import_organisation(other, forged)
    assert {p.path: p.message for p in caught.value.problems}[
        "rounds[0].assessments[0].kind"] == "a pre-workshop survey is not part of the file"
    engine.dispose()


def test_a_focus_workshop_survives_export_and_import(framework: Framework) -> None:
    engine, second = create_db_engine("sqlite://"), create_db_engine("sqlite://")
    for each in (engine, second):
        metadata.create_all(each)
    with Session(engine, expire_on_commit=False) as session:
        organisation = make_organisation(session, name="Fokus Oy")
        unit = make_unit(session, organisation=organisation)
        round_ = services.create_round(session, organisation, "Kevät", framework)
        skip = [q.id for q in framework.factors[0].questions]
        workshop = workshops.create_workshop(session, round_, unit, by=None, skip=skip)
        last = len(workshops.workshop_agenda(workshop, framework)) - 1
        workshops.go_to(session, workshop, framework, last)
        session.commit()
        text = exchange.dump_json(exchange.export_organisation(session, organisation))
    data = json.loads(text)
    assert data["rounds"][0]["workshops"][0]["focus_skip"] == skip
    with Session(second, expire_on_commit=False) as other:
        imported = exchange.import_organisation(other, data)
        assert exchange.dump_json(exchange.export_organisation(other, imported)) == text
    broken = json.loads(text)
    broken["rounds"][0]["workshops"][0]["focus_skip"] = [skip[0], skip[0], "no-such-question"]
    broken["rounds"][0]["workshops"][0]["step_index"] = last + 10
    with Session(create_db_engine("sqlite://")) as third, \
            pytest.raises(exchange.InvalidImportFile) as caught:
        metadata.create_all(third.get_bind())
        exchange.import_organisation(third, broken)
    found = {p.path: p.message for p in caught.value.problems}
    where = "rounds[0].workshops[0]"
    assert found[f"{where}.focus_skip[1]"] == f"duplicate question {skip[0]!r}"
    assert "unknown question 'no-such-question'" in found[f"{where}.focus_skip[2]"]
    assert found[f"{where}.step_index"].startswith(f"step {last + 10} is out of range")
    engine.dispose()
    second.dispose()
