"""Domain services against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from assessment import services
from assessment.framework import Framework, FrameworkRegistry, load_framework
from assessment.models import Answer, AssessmentStatus, FrameworkVersion, Respondent
from tests.conftest import FIXTURES
from tests.factories import make_assessment, make_organisation, make_round, make_unit

SMALL = FIXTURES / "frameworks" / "three-stages.yaml"


def test_unit_tree_orders_parents_before_children(session: Session) -> None:
    organisation = make_organisation(session)
    service = make_unit(session, organisation=organisation, name="Asiakaspalvelu")
    make_unit(session, organisation=organisation, name="Chat", parent=service)
    make_unit(session, organisation=organisation, name="Puhelin", parent=service)
    make_unit(session, organisation=organisation, name="Markkinointi")
    tree = [(t.unit.name, t.depth) for t in services.unit_tree(session, organisation)]
    assert tree == [("Asiakaspalvelu", 0), ("Chat", 1), ("Puhelin", 1), ("Markkinointi", 0)]


def test_names_are_trimmed_and_bounded(session: Session) -> None:
    assert services.create_organisation(session, "  A \n B ").name == "A B"
    with pytest.raises(services.InvalidInput):
        services.create_organisation(session, "x" * 201)
    with pytest.raises(services.InvalidInput):
        services.create_organisation(session, None)


def test_round_pins_framework_content_once_per_hash(session: Session,
                                                    framework: Framework) -> None:
    organisation = make_organisation(session)
    first = make_round(session, organisation=organisation, framework=framework, name="Kevät")
    second = make_round(session, organisation=organisation, framework=framework, name="Syksy")
    assert first.framework_version_id == second.framework_version_id
    version = session.get(FrameworkVersion, first.framework_version_id)
    assert version is not None
    assert version.content_hash == framework.content_hash()
    assert version.version == framework.version


def test_editing_the_framework_file_never_changes_old_rounds(session: Session,
                                                             tmp_path: Path) -> None:
    original = load_framework(SMALL)
    organisation = make_organisation(session)
    old_round = make_round(session, organisation=organisation, framework=original, name="Vanha")
    data = yaml.safe_load(SMALL.read_text(encoding="utf-8"))
    data["factors"][0]["questions"][0]["anchors"]["low"]["en"] = "A new meaning"
    edited_file = tmp_path / "three-stages.yaml"
    edited_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    registry = FrameworkRegistry.from_directories([tmp_path])
    edited = registry.get("three-stages")
    new_round = make_round(session, organisation=organisation, framework=edited, name="Uusi")
    old_fw, old_version = services.round_framework(session, registry, old_round)
    new_fw, new_version = services.round_framework(session, registry, new_round)
    assert old_version.id != new_version.id
    assert old_fw.factors[0].questions[0].anchors["low"]["en"] == "l1"
    assert new_fw.factors[0].questions[0].anchors["low"]["en"] == "A new meaning"


def test_get_or_create_assessment_is_idempotent(session: Session, framework: Framework) -> None:
    assessment, round_, unit = make_assessment(session, framework=framework)
    again = services.get_or_create_assessment(session, round_, unit)
    assert again.id == assessment.id


def test_answers_replace_clear_and_keep_notes(session: Session, framework: Framework) -> None:
    assessment, _, _ = make_assessment(session, framework=framework)
    q = framework.factors[0].questions[0].id
    services.save_answers(session, assessment, framework, [services.AnswerInput(q, "2")])
    services.save_answers(session, assessment, framework, [services.AnswerInput(q, "4", "ok")])
    session.commit()
    answers = services.own_answers(session, assessment)
    assert (answers[q].level, answers[q].note) == (4, "ok")
    services.save_answers(session, assessment, framework, [services.AnswerInput(q, None, "vain")])
    session.commit()
    only_note = services.own_answers(session, assessment)[q]
    assert (only_note.choice, only_note.level, only_note.note) == (None, None, "vain")
    assert services.progress(framework, {q: only_note})[0].answered == 0
    services.save_answers(session, assessment, framework, [services.AnswerInput(q, "", "  ")])
    session.commit()
    assert services.own_answers(session, assessment) == {}


def test_invalid_batch_changes_nothing(session: Session, framework: Framework) -> None:
    assessment, _, _ = make_assessment(session, framework=framework)
    q1, q2 = (q.id for q in framework.factors[0].questions[:2])
    with pytest.raises(services.InvalidInput):
        services.save_answers(session, assessment, framework,
                              [services.AnswerInput(q1, "3"), services.AnswerInput(q2, "99")])
    with pytest.raises(services.InvalidInput):
        services.save_answers(session, assessment, framework,
                              [services.AnswerInput("nope", "3")])
    session.commit()
    assert session.exec(select(Answer)).all() == []


def test_submitted_assessment_refuses_answers(session: Session, framework: Framework) -> None:
    q = framework.factors[0].questions[0].id
    assessment, _, _ = make_assessment(session, framework=framework, levels={q: "3"}, submit=True)
    assert assessment.status == AssessmentStatus.submitted
    with pytest.raises(services.Conflict):
        services.save_answers(session, assessment, framework, [services.AnswerInput(q, "1")])
    with pytest.raises(services.Conflict):
        services.submit_assessment(session, assessment)
    services.reopen_assessment(session, assessment)
    with pytest.raises(services.Conflict):
        services.reopen_assessment(session, assessment)
    assert services.own_answers(session, assessment)[q].level == 3


def test_database_refuses_a_level_without_choice_and_duplicates(session: Session,
                                                                framework: Framework) -> None:
    assessment, _, _ = make_assessment(session, framework=framework)
    session.add(Answer(assessment_id=assessment.id, question_id="x", choice="dont_know", level=3))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.add(Answer(assessment_id=assessment.id, question_id="x", choice="level", level=2))
    session.commit()
    session.add(Answer(assessment_id=assessment.id, question_id="x", choice="level", level=3))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_respondents_answer_the_same_question_separately(session: Session,
                                                         framework: Framework) -> None:
    assessment, _, _ = make_assessment(session, framework=framework)
    people = [Respondent(assessment_id=assessment.id, nickname=n) for n in ("A", "B")]
    session.add_all(people)
    session.flush()
    for person in people:
        session.add(Answer(assessment_id=assessment.id, respondent_id=person.id,
                           question_id="q", choice="level", level=2))
    session.add(Answer(assessment_id=assessment.id, question_id="q", choice="level", level=3))
    session.commit()
    assert set(services.own_answers(session, assessment)) == {"q"}
    session.add(Answer(assessment_id=assessment.id, respondent_id=people[0].id,
                       question_id="q", choice="level", level=4))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_scores_of_a_stored_assessment(session: Session, framework: Framework) -> None:
    factor = framework.factors[0]
    levels = {q.id: "2" for q in factor.questions}
    assessment, _, _ = make_assessment(session, framework=framework, levels=levels)
    scores = services.score_assessment(framework, services.own_answers(session, assessment))
    assert scores[0].factor_id == factor.id and str(scores[0].score) == "2.0"
    assert all(s.score is None for s in scores[1:])


def test_answer_counts_per_assessment(session: Session, framework: Framework) -> None:
    questions = framework.factors[0].questions
    assessment, _, _ = make_assessment(session, framework=framework,
                                       levels={q.id: "3" for q in questions})
    assert services.answer_counts(session, [assessment.id]) == {assessment.id: len(questions)}
    assert services.answer_counts(session, []) == {}
