"""Results are built as data from an assessment view, then drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from assessment.framework import Framework
from assessment.i18n import Catalogues
from assessment.models import (
    Answer,
    Assessment,
    AssessmentStatus,
    FrameworkVersion,
    Organisation,
    Round,
    Unit,
)
from assessment.services import AssessmentView
from reports.results import build_assessment_results, radar_chart_svg


def view_with(framework: Framework, answers: dict[str, tuple[str, int | None, str | None]],
              *, unit_name: str = "Markkinointi") -> AssessmentView:
    stored = {qid: Answer(assessment_id=1, question_id=qid, choice=c, level=lv, note=n)
              for qid, (c, lv, n) in answers.items()}
    version = FrameworkVersion(id=1, framework_id=framework.id, version=framework.version,
                               content_hash=framework.content_hash(),
                               snapshot=framework.canonical_json())
    return AssessmentView(
        assessment=Assessment(id=1, round_id=1, unit_id=1, status=AssessmentStatus.draft),
        round=Round(id=1, organisation_id=1, framework_version_id=1, name="Kevät 2026"),
        unit=Unit(id=1, organisation_id=1, name=unit_name),
        organisation=Organisation(id=1, name="Testi Oy"),
        framework=framework, version=version, answers=stored)


def test_each_factor_has_score_stage_texts_and_notes(framework: Framework) -> None:
    goals = framework.factors[0]
    answers = {q.id: ("level", 3, None) for q in goals.questions}
    answers[goals.questions[0].id] = ("level", 3, "Vuosikello puuttuu")
    results = build_assessment_results(view_with(framework, answers))
    first = results.factors[0]
    assert first.score.score == Decimal("3.0")
    assert first.stage is not None and first.stage.id == framework.stages[2].id
    assert first.stage_text == goals.stages[framework.stages[2].id]
    assert first.next_stage is not None and first.next_stage.id == framework.stages[3].id
    assert first.next_stage_text == goals.stages[framework.stages[3].id]
    assert first.notes == ((goals.questions[0], "Vuosikello puuttuu"),)
    assert all(r.score.score is None and r.stage is None for r in results.factors[1:])
    assert results.core is not None and results.core.factor.core
    assert results.core not in results.outer and len(results.outer) == len(framework.factors) - 1
    assert results.content_hash == framework.content_hash() and not results.submitted


def test_top_stage_has_no_next_stage(framework: Framework) -> None:
    top = framework.stage_count
    answers = {q.id: ("level", top, None) for q in framework.factors[0].questions}
    first = build_assessment_results(view_with(framework, answers)).factors[0]
    assert first.stage is not None and first.stage.id == framework.stages[-1].id
    assert first.next_stage is None and first.next_stage_text is None


def test_radar_is_localised_and_escapes_user_text(framework: Framework) -> None:
    culture = next(f for f in framework.factors if f.core)
    answers = {q.id: ("level", 2, None) for q in culture.questions}
    answers[culture.questions[0].id] = ("level", 3, None)
    evil = "<script>alert(1)</script> & Co"
    results = build_assessment_results(view_with(framework, answers, unit_name=evil))
    fi = Catalogues().translator("fi")
    svg = radar_chart_svg(results, fi)
    root = ET.fromstring(svg)  # well-formed: the unit name is escaped, not markup
    assert root.tag.endswith("svg")
    assert "<script>" not in svg
    text = " ".join(root.itertext())
    assert evil in text
    assert culture.name["fi"] in text.replace("\n", " ") or culture.name["fi"].split()[0] in text
    expected = fi.score(results.core.score.score)  # type: ignore[union-attr]
    assert "," in expected and expected in text
