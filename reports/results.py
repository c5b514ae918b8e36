"""An assessment's results: built as data first, then drawn (radar) or rendered (page, PDF)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from assessment.framework import Factor, Question, Stage
from assessment.i18n import Translator
from assessment.models import AssessmentKind
from assessment.scoring import FactorScore
from assessment.services import AssessmentView, score_assessment
from reports.radar import RadarChart, RadarSeries, render_radar_svg

LocalText = Mapping[str, str]


@dataclass(frozen=True)
class FactorResult:
    """One factor's score and stage, what the stage means and what the next stage looks like."""

    factor: Factor
    score: FactorScore
    stage: Stage | None
    stage_text: LocalText | None
    next_stage: Stage | None
    next_stage_text: LocalText | None
    notes: tuple[tuple[Question, str], ...]


@dataclass(frozen=True)
class AssessmentResults:
    """Everything the results page, the radar and later the PDF show for one assessment."""

    organisation_name: str
    unit_name: str
    round_name: str
    framework_id: str
    framework_version: str
    content_hash: str
    kind: AssessmentKind
    submitted: bool
    submitted_at: datetime | None
    stages: tuple[Stage, ...]
    factors: tuple[FactorResult, ...]
    first_level: int = 1  # the number of the first stage

    @property
    def core(self) -> FactorResult | None:
        """The framework's core factor, if it has one."""
        return next((f for f in self.factors if f.factor.core), None)

    @property
    def outer(self) -> tuple[FactorResult, ...]:
        """The factors around the core."""
        return tuple(f for f in self.factors if not f.factor.core)

    @property
    def scored(self) -> bool:
        """Whether at least one factor has a score."""
        return any(f.score.score is not None for f in self.factors)


@dataclass(frozen=True)
class ComparedFactor:
    """One factor scored by self-assessment and in a workshop."""

    factor: Factor
    self_score: Decimal | None
    workshop_score: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        """Workshop minus self-assessment, when both have a score."""
        if self.self_score is None or self.workshop_score is None:
            return None
        return self.workshop_score - self.self_score


def compare(self_results: AssessmentResults,
            workshop_results: AssessmentResults) -> tuple[ComparedFactor, ...]:
    """Self-assessment and workshop side by side per factor (both from the same round)."""
    return tuple(ComparedFactor(s.factor, s.score.score, w.score.score)
                 for s, w in zip(self_results.factors, workshop_results.factors, strict=True))


def _factor_result(view: AssessmentView, factor: Factor, score: FactorScore) -> FactorResult:
    framework = view.framework
    level = score.stage_level
    stage = framework.stage_by_level(level) if level is not None else None
    following = (framework.stage_by_level(level + 1)
                 if level is not None and level < framework.last_level else None)
    notes = tuple((q, view.answers[q.id].note or "") for q in factor.questions
                  if q.id in view.answers and view.answers[q.id].note)
    return FactorResult(
        factor=factor, score=score, stage=stage,
        stage_text=factor.stages[stage.id] if stage else None,
        next_stage=following,
        next_stage_text=factor.stages[following.id] if following else None,
        notes=notes,
    )


def build_assessment_results(view: AssessmentView) -> AssessmentResults:
    """Score the assessment and gather the texts that explain each score."""
    scores = score_assessment(view.framework, view.answers)
    factors = tuple(_factor_result(view, f, s) for f, s in zip(view.framework.factors, scores,
                                                                strict=True))
    return AssessmentResults(
        organisation_name=view.organisation.name, unit_name=view.unit.name,
        round_name=view.round.name, framework_id=view.framework.id,
        framework_version=view.version.version, content_hash=view.version.content_hash,
        kind=view.assessment.kind, submitted=view.locked, submitted_at=view.assessment.submitted_at,
        stages=tuple(view.framework.stages), factors=factors,
        first_level=view.framework.first_level,
    )


def _value(result: FactorResult) -> float | None:
    return float(result.score.score) if result.score.score is not None else None


def radar_chart_svg(results: AssessmentResults, t: Translator,
                    compared: AssessmentResults | None = None) -> str:
    """The results' radar chart as inline SVG, labelled in the translator's language; with
    `compared` (the same unit's other kind of assessment) as a second, dashed series."""
    core = results.core
    series = [RadarSeries(label=_kind_label(results, t),
                          values=tuple(_value(f) for f in results.outer))]
    core_values = [_value(core)] if core else []
    if compared is not None:
        series.append(RadarSeries(label=_kind_label(compared, t),
                                  values=tuple(_value(f) for f in compared.outer),
                                  style="dashed"))
        if core:
            other_core = compared.core
            core_values.append(_value(other_core) if other_core else None)
    chart = RadarChart(
        title=t.gettext("Maturity by factor: {unit}, {round}", unit=results.unit_name,
                        round=results.round_name),
        axes=tuple(t.text(f.factor.name) for f in results.outer),
        levels=tuple(t.text(s.name) for s in results.stages),
        first_level=results.first_level,
        series=tuple(series),
        core_label=t.text(core.factor.name) if core else None,
        core_values=tuple(core_values),
        number_format=t.score,
    )
    return render_radar_svg(chart)


def _kind_label(results: AssessmentResults, t: Translator) -> str:
    if results.kind == AssessmentKind.workshop:
        return t.gettext("Workshop")
    return t.gettext("Self-assessment")
