"""The unit report: one unit in one round, built as data first and rendered (HTML, PDF) second.

It traces every score back to how it was reached: per factor the stage with its description,
per question the self-assessment answer and the workshop consensus with their notes and
rationale, and the workshop's anonymous vote distribution. Around that: the radar (current,
target, organisation average, previous round), self-assessment against workshop, targets and
gaps, and the unit's actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from jinja2 import Environment
from sqlmodel import Session

from assessment import org_frameworks, roadmap, services, workshops
from assessment.brand import Brand
from assessment.framework import Factor, Framework, FrameworkRegistry, Question
from assessment.i18n import Translator
from assessment.models import (
    Answer,
    AssessmentKind,
    Choice,
    Organisation,
    Round,
    Unit,
    id_of,
    utcnow,
)
from assessment.scoring import ONE_DECIMAL
from assessment.workshops import VoteSummary
from reports.charts import LineStyle
from reports.needs_report import NeedsResult, build_needs_result, phase_kind_names
from reports.pdf import action_status_labels, file_slug, render_html
from reports.radar import RadarChart, RadarSeries, render_radar_svg
from reports.results import (
    AssessmentResults,
    ComparedFactor,
    FactorResult,
    build_assessment_results,
    compare,
)
from reports.summary import (
    ExecutiveText,
    GapLine,
    PhaseLine,
    executive_text,
    largest_gaps,
    next_phase,
    phase_lines,
)

LocalText = Mapping[str, str]
TEMPLATE = "reports/unit.html"
UNIT_NOT_IN_ROUND = services.N_("The unit and the round belong to different organisations.")


@dataclass(frozen=True)
class AnswerTrace:
    """One answer as the report shows it: the stage (or don't know / n/a) and its note."""

    choice: str | None
    level: int | None
    note: str | None


@dataclass(frozen=True)
class QuestionTrace:
    """How a question was answered: alone, in the workshop, and how the workshop voted."""

    question: Question
    self_answer: AnswerTrace | None
    workshop_answer: AnswerTrace | None
    votes: VoteSummary | None


@dataclass(frozen=True)
class FactorSection:
    """One factor: its result, target and gap, the comparison values and its questions."""

    factor: Factor
    result: FactorResult | None
    target: int | None
    gap: int | None
    average: Decimal | None
    previous: Decimal | None
    questions: tuple[QuestionTrace, ...]
    source: AssessmentKind | None = None  # which assessment `result` comes from

    @property
    def score(self) -> Decimal | None:
        """The factor's current score."""
        return self.result.score.score if self.result else None


@dataclass(frozen=True)
class ActionItem:
    """A planned action, with its text in every language of the framework."""

    factor_id: str
    text: LocalText
    owner: str
    due_on: date | None
    status: str
    from_level: int | None
    suggested: roadmap.LibraryDetails = field(default_factory=roadmap.LibraryDetails)


@dataclass(frozen=True)
class UnitReport:
    """Everything the unit report shows, independent of the language it is rendered in."""

    organisation_name: str
    unit_name: str
    round_name: str
    framework: Framework
    framework_version: str
    content_hash: str
    generated_at: datetime
    primary: AssessmentResults | None
    self_results: AssessmentResults | None
    workshop_results: AssessmentResults | None
    comparison: tuple[ComparedFactor, ...] | None
    sections: tuple[FactorSection, ...]
    measured_units: int
    previous_round_name: str | None
    actions: tuple[ActionItem, ...]
    min_votes: int
    next_phase: PhaseLine | None = None  # the rollout phase the unit is in (or the next one)
    needs: NeedsResult | None = None  # the needs and expectations of the unit's workshops

    @property
    def empty(self) -> bool:
        """Whether the unit has no answers at all in the round."""
        return self.primary is None

    @property
    def mixed_sources(self) -> bool:
        """Whether some scores are the workshop consensus and others the self-assessment."""
        return len({s.source for s in self.sections if s.score is not None}) > 1

    @property
    def has_targets(self) -> bool:
        """Whether any factor has a target."""
        return any(s.target is not None for s in self.sections)

    @property
    def has_average(self) -> bool:
        """Whether an organisation average is shown (it needs other measured units)."""
        return self.measured_units > 1 and any(s.average is not None for s in self.sections)

    @property
    def has_previous(self) -> bool:
        """Whether the unit has a score in an earlier round."""
        return self.previous_round_name is not None

    @property
    def scored(self) -> list[FactorSection]:
        """The factors with a score, lowest first."""
        return sorted((s for s in self.sections if s.score is not None),
                      key=lambda s: (s.score, self.sections.index(s)))

    @property
    def largest_gaps(self) -> list[FactorSection]:
        """The factors furthest below their target, largest gap first."""
        return sorted((s for s in self.sections if s.gap), key=lambda s: -(s.gap or 0))

    @property
    def summary_gaps(self) -> tuple[GapLine, ...]:
        """The three factors furthest below their targets (for the executive summary)."""
        return largest_gaps([(None, {s.factor.id: s.target for s in self.sections if s.target},
                              {s.factor.id: s.result.score.stage_level for s in self.sections
                               if s.result and s.result.score.stage_level})], self.framework)

    def actions_of(self, factor_id: str) -> list[ActionItem]:
        """The unit's actions for one factor."""
        return [a for a in self.actions if a.factor_id == factor_id]


# Building ----------------------------------------------------------------------------------

def _answered(answers: Mapping[str, Answer]) -> bool:
    return any(a.choice is not None for a in answers.values())


def _trace(answer: Answer | None) -> AnswerTrace | None:
    if answer is None or (answer.choice is None and not answer.note):
        return None
    return AnswerTrace(answer.choice, answer.level, answer.note)


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


def _views(session: Session, registry: FrameworkRegistry, round_: Round, unit: Unit,
           ) -> dict[AssessmentKind, services.AssessmentView]:
    views = {}
    for kind in AssessmentKind:
        found = services.assessments_in_round(session, round_, kind).get(id_of(unit))
        if found is not None:
            views[kind] = services.assessment_view(session, registry, found)
    return views


def _votes(session: Session, framework: Framework, view: services.AssessmentView | None,
           min_votes: int) -> dict[str, VoteSummary]:
    if view is None:
        return {}
    # Each session's votes stay its own: a question shows the votes of the latest session
    # that voted on it (the one whose discussion the consensus most likely followed).
    latest: dict[str, workshops.Votes] = {}
    for held in workshops.workshops_of_assessment(session, view.assessment):  # oldest first
        latest.update(workshops.question_votes(session, held))
    return {qid: workshops.summarise(votes, framework.stage_count, min_votes,
                                 framework.first_level)
            for qid, votes in latest.items()}


def _previous(session: Session, registry: FrameworkRegistry, organisation: Organisation,
              round_: Round, unit: Unit) -> tuple[str | None, dict[str, Decimal | None]]:
    """The latest earlier round on the same framework in which the unit has a score, and
    its scores by factor (another framework's factors are not these, even by id)."""
    rounds = services.list_rounds(session, organisation)
    earlier = rounds[:[r.id for r in rounds].index(round_.id)]
    same = org_frameworks.framework_ids(session, [*earlier, round_])
    earlier = [r for r in earlier if same[id_of(r)] == same[id_of(round_)]]
    for candidate in reversed(earlier):
        framework = services.round_framework(session, registry, candidate)[0]
        measured = roadmap.round_scores(session, framework, candidate, [id_of(unit)])
        if id_of(unit) in measured:
            factors = measured[id_of(unit)].factors
            return candidate.name, {fid: s.score for fid, s in factors.items()}
    return None, {}


def _averages(session: Session, framework: Framework,
              round_: Round) -> tuple[int, dict[str, Decimal | None]]:
    """How many units of the organisation were measured in the round, and their mean score
    per factor (over the units with a score for it)."""
    measured = roadmap.round_scores(session, framework, round_)
    averages = {}
    for factor in framework.factors:
        scores = [m.factors[factor.id].score for m in measured.values()
                  if factor.id in m.factors]
        averages[factor.id] = _mean([s for s in scores if s is not None])
    return len(measured), averages


def _actions(session: Session, framework: Framework, unit: Unit,
             earlier: list[Framework]) -> tuple[ActionItem, ...]:
    found = [a for a in roadmap.actions(session, unit.organisation_id, [id_of(unit)])
             if roadmap.belongs_to(a, framework, earlier)]
    order = {f.id: i for i, f in enumerate(framework.factors)}
    found.sort(key=lambda a: (order.get(a.factor_id, len(order)), a.position, a.id or 0))
    return tuple(ActionItem(
        factor_id=a.factor_id,
        text={lang: roadmap.action_text(a, framework, lang, earlier)
              for lang in framework.languages},
        owner=a.owner, due_on=a.due_on, status=str(a.status), from_level=a.from_level,
        suggested=roadmap.library_details(a, framework, earlier))
        for a in found)


def _primary(views: dict[AssessmentKind, services.AssessmentView],
             results: dict[AssessmentKind, AssessmentResults]) -> AssessmentKind | None:
    """The assessment the report's scores come from: the workshop consensus when it scored
    a factor, else the self-assessment (as the roadmap measures), else whichever has answers."""
    for kind in (AssessmentKind.workshop, AssessmentKind.self):
        if kind in results and results[kind].scored:
            return kind
    for kind in (AssessmentKind.workshop, AssessmentKind.self):
        if kind in views and _answered(views[kind].answers):
            return kind
    return None


def build_unit_report(session: Session, registry: FrameworkRegistry, round_: Round, unit: Unit,
                      *, min_votes: int, now: datetime | None = None) -> UnitReport:
    """Gather everything the unit report shows for the unit in the round."""
    if unit.organisation_id != round_.organisation_id:
        raise services.InvalidInput(UNIT_NOT_IN_ROUND)
    organisation = session.get(Organisation, round_.organisation_id)
    assert organisation is not None  # guaranteed by the foreign key
    framework, version = services.round_framework(session, registry, round_)
    views = _views(session, registry, round_, unit)
    results = {kind: build_assessment_results(view) for kind, view in views.items()}
    primary_kind = _primary(views, results)
    primary = results[primary_kind] if primary_kind else None
    self_results, workshop_results = (results.get(AssessmentKind.self),
                                      results.get(AssessmentKind.workshop))
    comparison = (compare(self_results, workshop_results)
                  if self_results and workshop_results and self_results.scored
                  and workshop_results.scored else None)
    votes = _votes(session, framework, views.get(AssessmentKind.workshop), min_votes)
    unit_targets = roadmap.targets(session, id_of(round_), [id_of(unit)])[id_of(unit)]
    measured_units, averages = _averages(session, framework, round_)
    previous_name, previous = _previous(session, registry, organisation, round_, unit)
    answers = {kind: view.answers for kind, view in views.items()}

    sections = []
    for index, factor in enumerate(framework.factors):
        # Measured per factor, as the roadmap and dashboard measure: the workshop's consensus
        # where it scored the factor, otherwise the self-assessment.
        source = next((kind for kind in (AssessmentKind.workshop, AssessmentKind.self)
                       if kind in results
                       and results[kind].factors[index].score.score is not None), primary_kind)
        result = results[source].factors[index] if source else None
        target = unit_targets.get(factor.id)
        current = result.score.stage_level if result else None
        questions = tuple(QuestionTrace(
            q, _trace(answers.get(AssessmentKind.self, {}).get(q.id)),
            _trace(answers.get(AssessmentKind.workshop, {}).get(q.id)), votes.get(q.id))
            for q in factor.questions)
        sections.append(FactorSection(
            factor=factor, result=result, target=target,
            gap=max(target - current, 0) if target is not None and current is not None else None,
            average=averages.get(factor.id), previous=previous.get(factor.id),
            questions=questions, source=source))
    return UnitReport(
        organisation_name=organisation.name, unit_name=unit.name, round_name=round_.name,
        framework=framework, framework_version=version.version,
        content_hash=version.content_hash, generated_at=now or utcnow(), primary=primary,
        self_results=self_results, workshop_results=workshop_results, comparison=comparison,
        sections=tuple(sections), measured_units=measured_units,
        previous_round_name=previous_name,
        actions=_actions(session, framework, unit, registry.versions(framework.id)),
        min_votes=min_votes,
        next_phase=next_phase(phase_lines(roadmap.roadmap(session, registry, organisation)),
                              id_of(unit), (now or utcnow()).date()),
        needs=build_needs_result(session, registry, round_, unit, now))


# Rendering ---------------------------------------------------------------------------------

def _float(value: Decimal | int | None) -> float | None:
    return float(value) if value is not None else None


def unit_radar_svg(report: UnitReport, t: Translator, *, small: bool = False) -> str:
    """The radar: current scores, targets, the organisation average and the previous round
    (only the series that have values), labelled in the translator's language. `small`: the
    executive summary's copy (titled apart, so its ids differ from the full-size one's)."""
    outer = [s for s in report.sections if not s.factor.core]
    core = next((s for s in report.sections if s.factor.core), None)
    wanted: list[tuple[str, LineStyle, list[float | None], float | None]] = [
        (t.gettext("Current"), "solid", [_float(s.score) for s in outer],
         _float(core.score) if core else None)]
    if report.has_targets:
        wanted.append((t.gettext("Target"), "dashed", [_float(s.target) for s in outer],
                       _float(core.target) if core else None))
    if report.has_average:
        wanted.append((t.gettext("Organisation average"), "dotted",
                       [_float(s.average) for s in outer],
                       _float(core.average) if core else None))
    if report.has_previous:
        wanted.append((t.gettext("Previous round: {round}", round=report.previous_round_name),
                       "dashed", [_float(s.previous) for s in outer],
                       _float(core.previous) if core else None))
    title = (t.gettext("At a glance: {unit}, {round}", unit=report.unit_name,
                       round=report.round_name) if small else
             t.gettext("Maturity by factor: {unit}, {round}", unit=report.unit_name,
                       round=report.round_name))
    chart = RadarChart(
        title=title,
        axes=tuple(t.text(s.factor.name) for s in outer),
        levels=tuple(t.text(stage.name) for stage in report.framework.stages),
        first_level=report.framework.first_level,
        series=tuple(RadarSeries(label, tuple(values), style)
                     for label, style, values, _ in wanted),
        core_label=t.text(core.factor.name) if core else None,
        core_values=tuple(c for *_, c in wanted) if core else (),
        number_format=t.score,
    )
    return render_radar_svg(chart)


def unit_executive(report: UnitReport, t: Translator) -> ExecutiveText:
    """The executive summary's words: how the unit stands, its largest gaps, its phase."""
    scored = report.scored
    lede = []
    if scored:
        lede.append(t.gettext(
            "In {round}, the strongest factor of {unit} is {strong} ({strong_score}) and its "
            "weakest {weak} ({weak_score}): the unit is only as strong as its weakest link.",
            round=report.round_name, unit=report.unit_name,
            strong=t.text(scored[-1].factor.name), strong_score=t.score(scored[-1].score or 0),
            weak=t.text(scored[0].factor.name), weak_score=t.score(scored[0].score or 0)))
    if report.primary is not None and not report.primary.submitted:
        lede.append(t.gettext("The assessment has not been submitted yet, so the scores are "
                              "preliminary."))
    return executive_text(t, report.framework, tuple(lede), report.summary_gaps,
                          report.next_phase, has_targets=report.has_targets)


def unit_report_html(report: UnitReport, t: Translator, environment: Environment,
                     brand: Brand | None = None) -> str:
    """The report as print-ready HTML in the translator's language."""
    return render_html(environment, TEMPLATE, t, {
        "report": report, "framework": report.framework,
        "radar_svg": None if report.empty else unit_radar_svg(report, t),
        "summary_svg": None if report.empty else unit_radar_svg(report, t, small=True),
        "executive": None if report.empty else unit_executive(report, t),
        "status_labels": action_status_labels(t), "choice": Choice,
        "phase_kinds": phase_kind_names(t),
    }, brand=brand)


def report_filename(report: UnitReport, language: str) -> str:
    """A plain ASCII file name for the PDF: unit-report-<unit>-<round>-<language>.pdf."""
    return (f"unit-report-{file_slug(report.unit_name)}-{file_slug(report.round_name)}-"
            f"{language}.pdf")

